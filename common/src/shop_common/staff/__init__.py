"""One staff identity for every admin: a service's Django admin signs staff in against
user_svc, which owns their accounts and passwords.

A service enables it with `"shop_common.staff"` in its apps and
`globals().update(staff_sign_in_settings(MIDDLEWARE))` in its settings. Then:

- the admin's login form checks the email and password at user_svc's
  `/internal/v1/staff/sign-in/` with the service's own service token; user_svc counts a
  failure against the same failed-login limits as the API's login (`StaffBackend`);
- the service keeps a local user row per staff member, with no usable password, linked
  by user_svc's account id (`StaffAccount`), so its own groups and permissions, and the
  admin's log, work as in any Django project;
- a signed-in session is re-checked against user_svc at most every
  `STAFF_RECHECK_SECONDS`: a deactivated or demoted account is signed out (and the login
  page says why), and while user_svc cannot be asked the admin refuses everyone
  (`StaffRecheckMiddleware`).
"""
