"""Django's PostgreSQL backend with a health check that costs no round trip
(`ENGINE = "shop_common.database"`, set by `shop_common.settings.database_settings`)."""
