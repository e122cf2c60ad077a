"""Test helpers shipped with django_wechat: the WeChat API emulator and its pytest fixtures.

``from django_wechat.testing.emulator import WeChatEmulator`` gives a real HTTP server that
speaks WeChat's API with WeChat's rules; ``pytest`` users get the ``wechat_emulator``
fixture by installing the package (see :mod:`django_wechat.testing.pytest_plugin`).
"""
