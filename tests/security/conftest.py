# The permission matrix's marker records serve the admin policy tests too.
from tests.security.test_permission_matrix import marked_defectors  # noqa: F401
