"""The generated Python client against a running server: log in as the demo
super admin, then list accounts. Run by scripts/schemathesis.sh.

Usage: client_smoke.py <origin> <directory holding promostore_client>
"""

import sys

origin, client_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, client_dir)

from promostore_client import AuthenticatedClient, Client  # noqa: E402
from promostore_client.api.auth import login  # noqa: E402
from promostore_client.api.organization import list_accounts  # noqa: E402
from promostore_client.models import LoginRequest, LoginResponse  # noqa: E402

answer = login.sync(client=Client(base_url=origin), body=LoginRequest(username="admin", password="admin"))
if not isinstance(answer, LoginResponse):
    sys.exit(f"client_smoke.py: login did not give tokens: {answer!r}")
listed = list_accounts.sync_detailed(client=AuthenticatedClient(base_url=origin, token=answer.access_token))
if listed.status_code != 200 or not listed.parsed:
    sys.exit(f"client_smoke.py: list accounts answered {listed.status_code}: {listed.content[:300]!r}")
print(f"client_smoke.py: logged in as admin and listed {len(listed.parsed)} accounts")
