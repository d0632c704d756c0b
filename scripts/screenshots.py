"""Take the README's screenshots from a running server with the demo data loaded.

python manage.py runserver 8000 &   # after `make setup`
python scripts/screenshots.py --base http://127.0.0.1:8000 --out docs/screenshots
"""

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - the demo data's published password

# (file name, login e-mail, path, language)
SHOTS = [
    ("login", None, "/accounts/login/", "en"),
    ("workspace", "agent@example.com", "/workspace/", "en"),
    ("incidents", "agent@example.com", "/incidents/", "en"),
    ("incident", "agent@example.com", "/incidents/INC0003023/", "en"),
    ("incidents-fa", "agent@example.com", "/incidents/", "fa"),
    ("portal", "enduser@example.com", "/portal/", "en"),
    ("dashboards", "manager@example.com", "/dashboards/?period=last_month", "en"),
    ("dashboards-kpis", "manager@example.com", "/dashboards/kpis/?period=last_month", "en"),
    ("dashboards-fa", "manager@example.com", "/dashboards/?period=last_month", "fa"),
    ("dashboards-kpis-zh", "manager@example.com", "/dashboards/kpis/?period=last_month", "zh-hans"),
    ("workspace-fa", "agent@example.com", "/workspace/", "fa"),
    ("portal-zh", "enduser@example.com", "/portal/", "zh-hans"),
    ("cmdb", "cmdb@example.com", "/cmdb/", "en"),
    ("cmdb-ci", "cmdb@example.com", "/cmdb/{ci:ESX-HOST-01}/", "en"),
    ("cmdb-impact", "cmdb@example.com", "/cmdb/{ci:SAN-01}/impact/?depth=6", "en"),
    ("cmdb-impact-fa", "cmdb@example.com", "/cmdb/{ci:SAN-01}/impact/?depth=6", "fa"),
    ("incident-impact", "agent@example.com", "/incidents/INC0003023/", "en"),
    ("portal-catalogue", "enduser@example.com", "/portal/catalogue/", "en"),
    ("portal-order", "enduser@example.com", "/portal/order/1/", "en"),
    ("portal-request", "enduser@example.com", "/portal/requests/REQ0000301/", "en"),
    ("portal-approvals", "approver@example.com", "/portal/approvals/", "en"),
    ("portal-report", "enduser@example.com", "/portal/incidents/new/?title=vpn+home", "en"),
    ("portal-catalogue-fa", "sara@example.com", "/portal/catalogue/", "fa"),
    ("portal-request-fa", "enduser@example.com", "/portal/requests/REQ0000301/", "fa"),
    ("portal-phone", "enduser@example.com", "/portal/", "en"),
    ("tasks", "agent@example.com", "/catalogue/tasks/?queue=open", "en"),
]

# Shots whose name ends in "-phone" are taken at a phone's width.
PHONE = {"width": 390, "height": 844}


def _resolve(page, base: str, path: str) -> str:
    """ "{ci:NAME}" in a path becomes that CI's id (ids differ between demo databases)."""
    while "{ci:" in path:
        start = path.index("{ci:")
        end = path.index("}", start)
        name = path[start + 4 : end]
        found = page.request.get(f"{base}/api/v1/cmdb/cis/", params={"q": name}).json()
        pk = next(row["id"] for row in found["results"] if row["name"] == name)
        path = path[:start] + str(pk) + path[end + 1 :]
    return path


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:8000")
    parser.add_argument("--out", default="docs/screenshots")
    parser.add_argument("--only", nargs="*")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking", "--disable-component-update"],
        )
        for name, email, path, language in SHOTS:
            if args.only and name not in args.only:
                continue
            viewport = PHONE if name.endswith("-phone") else {"width": 1280, "height": 800}
            context = browser.new_context(viewport=viewport)
            context.add_cookies([{"name": "django_language", "value": language, "url": args.base}])
            page = context.new_page()
            if email:
                page.goto(args.base + "/accounts/login/")
                page.fill("input[name=username]", email)
                page.fill("input[name=password]", DEMO_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_load_state("networkidle")
            page.goto(args.base + _resolve(page, args.base, path))
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}.png"), full_page=True)
            context.close()
            print(f"{name}: {out / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
