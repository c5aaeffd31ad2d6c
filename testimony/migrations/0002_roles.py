"""Create the role groups. Their permissions are (re)assigned after every
migrate by accounts.roles.sync_role_permissions, since permissions for
models added later only exist once post_migrate has run."""

from django.db import migrations

ROLE_NAMES = ("Researcher", "Analyst", "Identity custodian")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        Group.objects.get_or_create(name=name)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_NAMES).delete()


class Migration(migrations.Migration):
    dependencies = [("testimony", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
