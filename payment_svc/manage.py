#!/usr/bin/env python
"""Django's command-line utility for payment_svc."""

from shop_common.launcher import manage

if __name__ == "__main__":
    manage("payment_svc")
