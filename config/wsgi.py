import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
# Everything loaded so far (Django, the apps, their modules) lives as long as the
# process: out of the collector's way, a full collection scans only what requests
# made, 3-6 ms instead of 60 ms (measured in a worker at 100,000 defectors).
gc.freeze()
