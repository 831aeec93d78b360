"""`python -m hub demo`: two hotlines (GB-IWF reports, NL-MELDPUNT receives) with fresh
tokens in the hub's database, and the commands to type next, for a first hour on the hub.
"""

from hub.auth.service import create_token
from hub.hotlines.models import Hotline
from hub.hotlines.service import register
from hub.migrate import upgrade
from hub.settings import Settings
from hub.state import build_state
from schemas.hotlines import HotlineIn

HOTLINES = (
    HotlineIn(id="GB-IWF", name="Internet Watch Foundation", countries=["GB"]),
    HotlineIn(id="NL-MELDPUNT", name="Meldpunt Kinderporno", countries=["NL"]),
)
# 193.0.6.139 is placed in the Netherlands by the embedded GeoIP data.
NEXT_STEPS = """\
# hubctl is .venv/bin/hubctl (`source .venv/bin/activate` puts it on PATH).
export HUB_URL={hub}
export ADMIN_TOKEN={admin}
export IWF_TOKEN={iwf}
export MELDPUNT_TOKEN={meldpunt}

# GB-IWF reports material hosted in the Netherlands:
hubctl --token "$IWF_TOKEN" submit --reference DEMO-0001 \\
  --url https://files.example.net/demo.jpg \\
  --sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 \\
  --classification baseline --age-group prepubescent --site-type image_host \\
  --observed-at 2026-11-24T09:30:00Z --hosting-ip 193.0.6.139

# NL-MELDPUNT finds the referral in its inbox and takes it on:
hubctl --token "$MELDPUNT_TOKEN" inbox
hubctl --token "$MELDPUNT_TOKEN" events --ack
hubctl --token "$MELDPUNT_TOKEN" status "$(hubctl --token "$MELDPUNT_TOKEN" inbox --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" accepted

# GB-IWF follows its report:
hubctl --token "$IWF_TOKEN" reports
"""


def seed(settings: Settings, hub_url: str) -> str:
    """Registers the demo hotlines (unless there), issues three tokens; the next steps."""
    state = build_state(settings)
    try:
        upgrade(state.database.engine)
        with state.database.transaction() as session:
            for hotline in HOTLINES:
                if session.get(Hotline, hotline.id) is None:
                    register(session, hotline, "demo", state.webhook_check)
            _, admin = create_token(session, "admin", "demo", None)
            _, iwf = create_token(session, "hotline", "GB-IWF", None)
            _, meldpunt = create_token(session, "hotline", "NL-MELDPUNT", None)
    finally:
        state.database.dispose()
    return NEXT_STEPS.format(hub=hub_url.rstrip("/"), admin=admin, iwf=iwf, meldpunt=meldpunt)
