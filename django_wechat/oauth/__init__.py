"""Log followers in with WeChat (网页授权): views, the auth backend, decorators, the adapter.

``django_wechat.urls`` includes the login URLs (``wechat:oauth_login``,
``wechat:oauth_callback``); add :class:`~django_wechat.oauth.backends.WeChatBackend` to
``AUTHENTICATION_BACKENDS``. ``client.oauth`` is the HTTP half.
"""
