"""Step 2: every account has a language the code knows.

`users.locale` is required by the account model (zh-CN or en) and picks the language of
notifications; an account imported or edited by hand without it (or with another value, e.g.
"zh") would fail to load at sign-in. Such accounts get the default, zh-CN.
"""

from __future__ import annotations

from neighbor_api.core.migrations import Step
from neighbor_api.core.mongo import Database

KNOWN = ["zh-CN", "en"]
DEFAULT = "zh-CN"


async def apply(db: Database) -> None:
    await db["users"].update_many({"locale": {"$nin": KNOWN}}, {"$set": {"locale": DEFAULT}})


STEP = Step(2, "user_locale", apply)
