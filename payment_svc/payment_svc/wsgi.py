from shop_common.launcher import wsgi_application

application = wsgi_application("payment_svc")
