"""Schemathesis hooks for scripts/api-fuzz: keep the fuzzer's own session alive.

Schemathesis calls every operation with one ADMIN token. Generated calls that would end that
session are not bugs, they only stop the run from testing anything after them, so they are
redirected before they are sent:
  - DELETE or PATCH of the fuzzer's own user, DELETE of its own company: the id is swapped for a
    random one (the server answers 404 as it does for any unknown id);
  - PATCH of its own user keeps the call but drops `password`, `is_active` and `user_type`
    (each closes or demotes the session).
Logout is run alone, last (scripts/api-fuzz). The ids come from OZ_FUZZ_USER_ID and
OZ_FUZZ_COMPANY_ID, set by scripts/api-fuzz after it logs in.
"""

import os
import uuid

import schemathesis

OWN_USER = os.environ.get("OZ_FUZZ_USER_ID", "")
OWN_COMPANY = os.environ.get("OZ_FUZZ_COMPANY_ID", "")
SESSION_ENDING = ("password", "is_active", "user_type")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    op = case.operation.definition.raw.get("operationId", "")
    params = case.path_parameters or {}
    own_user = str(params.get("id", "")).lower() == OWN_USER.lower()
    own_company = str(params.get("id", "")).lower() == OWN_COMPANY.lower()
    if (op == "users_delete" and own_user) or (op == "companies_delete" and own_company):
        params["id"] = str(uuid.uuid4())
    elif op == "users_update" and own_user and isinstance(case.body, dict):
        for key in SESSION_ENDING:
            case.body.pop(key, None)
