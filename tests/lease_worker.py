"""A worker process for tests/test_lease.py: it delivers one message to the callback and
its handler blocks (until the test kills the process with SIGKILL).

Run as ``python -m tests.lease_worker CONFIG``, CONFIG a JSON object with ``cache`` (the
Django cache to use as ``WECHAT["CACHE"]``), ``url`` and ``body`` (the request), and
optionally ``claim_timeout`` and ``renew_interval`` for the dispatcher. Prints
``handler started`` when the handler runs.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any


def main() -> None:
    config = json.loads(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    django.setup()
    from django_wechat import handler
    from django_wechat.dispatch import dispatcher
    from django_wechat.testing import isolated_handlers

    for name in ("claim_timeout", "renew_interval"):
        if name in config:
            setattr(dispatcher, name, config[name])
    caches = {**settings.CACHES, "shared": config["cache"]}
    with (
        override_settings(CACHES=caches, WECHAT={**settings.WECHAT, "CACHE": "shared"}),
        isolated_handlers(),
    ):

        @handler(type="text")
        def stuck(message: Any, **kwargs: Any) -> str:
            print("handler started", flush=True)
            time.sleep(60)
            return "the killed worker's reply"

        Client().post(config["url"], data=config["body"].encode(), content_type="text/xml")


if __name__ == "__main__":
    main()
