"""What the generated service desk history says and when: people's names, the category tree's
titles and owners, descriptions, replies, resolutions, the mixes of impact, urgency and channel,
and the creation times (office hours, quieter weekends, growing volume).

Shared by `load_demo` (a few months of history, `servicedesk.management.demo.history`) and the
benchmark generator (`bench.generate`, up to millions of incidents), so both tell the same story.
"""

import math
import random
from array import array
from datetime import UTC, datetime

DAY = 86_400.0

FIRST_NAMES = str.split(
    "Emma Liam Olivia Noah Ava Elijah Sophia Lucas Mia Mateo Amelia Levi Harper Ethan Aria "
    "Omid Sara Reza Leila Dariush Mina Kaveh Neda Wei Fang Jun Mei Hao Lan Yusuf Amina Kwame "
    "Zanele Thabo Priya Arjun Ananya Ravi Ingrid Lars Sven Astrid Chiara Marco Giulia Pablo "
    "Lucia Diego Ines Tomasz Katarzyna Jakub Hana Kenji Yuki Sora Aiko Oluwaseun Chinwe"
)
LAST_NAMES = str.split(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Karimi Ahmadi "
    "Rahimi Hosseini Tehrani Wang Li Zhang Liu Chen Yang Huang Okafor Mensah Dlamini Naidoo "
    "Patel Sharma Iyer Nielsen Johansson Berg Rossi Bianchi Romano Fernandez Lopez Silva "
    "Nowak Kowalski Tanaka Sato Suzuki Mueller Schmidt Fischer Weber Dubois Laurent Moreau"
)

# (category, subcategory): weight, group that owns it, service, configuration item prefix, titles
SUBCATEGORIES = {
    ("Access", "Password reset"): (18, "Service Desk", "Client service", None, [
        "Password expired and I cannot log in", "Locked out after too many attempts",
        "Need my password reset", "Cannot change my password on the portal",
        "Password reset link does not arrive"]),
    ("Access", "Permissions"): (7, "Identity and Access", None, None, [
        "No access to the shared drive of my team", "Need write access to the finance folder",
        "Access denied when opening the sales report", "Missing permissions after moving team"]),
    ("Access", "New account"): (4, "Identity and Access", None, None, [
        "New starter needs an account", "Account for a contractor starting Monday",
        "Create a service account for the reporting tool"]),
    ("Hardware", "Laptop"): (9, "Desktop Support", "Client service", "LT", [
        "Laptop does not start", "Laptop screen flickers", "Battery drains within an hour",
        "Laptop very slow since the last update", "Keyboard keys not working",
        "Docking station not detected"]),
    ("Hardware", "Desktop"): (4, "Desktop Support", "Client service", "PC", [
        "Desktop PC makes a loud noise", "Second monitor not detected",
        "Computer restarts on its own", "Blue screen when opening large files"]),
    ("Hardware", "Printer"): (6, "Desktop Support", "Client service", "PRN", [
        "Printer jams on every page", "Cannot print to the floor printer",
        "Printer shows offline", "Scans do not arrive by e-mail", "Toner empty on the printer"]),
    ("Hardware", "Phone"): (3, "Telephony", None, None, [
        "Desk phone has no dial tone", "Mobile phone does not sync e-mail",
        "Voicemail not working", "Headset crackles during calls"]),
    ("Software", "Office suite"): (8, "Desktop Support", "Client service", None, [
        "Excel crashes when opening a workbook", "Word document will not save",
        "Outlook calendar not showing shared calendars", "Teams meeting has no sound",
        "PowerPoint freezes when presenting"]),
    ("Software", "ERP"): (6, "Applications", "ERP", "ERP", [
        "ERP invoice screen very slow", "Cannot post a journal in the ERP",
        "ERP report shows wrong totals", "Purchase order approval stuck in the ERP",
        "ERP login fails with an error"]),
    ("Software", "Installation"): (4, "Desktop Support", "Client service", None, [
        "Please install the PDF editor", "Software installation fails with an error",
        "Need the statistics package installed", "Update stuck at 40 percent"]),
    ("Software", "Licence"): (2, "Applications", None, None, [
        "Licence expired for the design software", "Need an additional licence",
        "Software says the licence is invalid"]),
    ("Network", "VPN"): (6, "Network", "Remote access (VPN)", "VPN", [
        "Cannot connect to VPN from home", "VPN disconnects every few minutes",
        "VPN connected but no access to internal sites", "VPN client asks for a certificate"]),
    ("Network", "Wi-Fi"): (5, "Network", "Internet", "AP", [
        "Wi-Fi drops in the meeting room", "Guest Wi-Fi not working",
        "Weak Wi-Fi signal on the third floor", "Cannot join the corporate Wi-Fi"]),
    ("Network", "LAN"): (2, "Network", "Internet", "SW", [
        "Network port at my desk is dead", "No network after moving desks",
        "Very slow file transfers on the LAN"]),
    ("Network", "Internet access"): (3, "Network", "Internet", "FW", [
        "Internet is very slow", "Website blocked by the proxy", "No internet access at all"]),
    ("E-mail", "Mailbox"): (6, "Applications", "E-mail", "MAIL", [
        "Mailbox full, cannot send", "Outlook keeps asking for my password",
        "Shared mailbox missing in Outlook", "E-mails disappear from my inbox"]),
    ("E-mail", "Delivery"): (3, "Applications", "E-mail", "MAIL", [
        "E-mails to a customer bounce", "External e-mails arrive hours late",
        "Cannot send attachments larger than 10 MB"]),
    ("E-mail", "Spam"): (3, "Security", "E-mail", None, [
        "Suspicious e-mail asking for my password", "Lots of spam since this morning",
        "Legitimate e-mails land in quarantine"]),
}  # fmt: skip

PLACES = [
    "", "", "", " since this morning", " since yesterday", " in the Berlin office",
    " in the London office", " at the Shanghai site", " in Tehran branch", " on the third floor",
    " for the whole team", " again", " after the weekend", " when working from home",
]  # fmt: skip
DESCRIPTIONS = [
    "<p>{title}. It started {when}. {impact}</p><p>Error shown: {error}.</p>",
    "<p>Hello, {title_lower}. {impact} Could someone please have a look?</p>",
    "<p>{title}.</p><p>Steps: I restarted the computer and tried again, same result. {impact}</p>",
    "<p>{title}. Tried on another device with the same result. {impact}</p><p>Thanks!</p>",
]
WHEN = ["this morning", "yesterday afternoon", "after the update", "two days ago", "today at 9"]
IMPACTS = [
    "Only me affected.", "My whole team is affected.", "I cannot work at all.",
    "There is a workaround but it is slow.", "Customers are waiting on this.",
]  # fmt: skip
ERRORS = ["0x80070005", "timeout", "access denied", "HTTP 502", "unknown error", "code 1603"]
AGENT_REPLIES = [
    "<p>Thanks for reporting this. I am looking into it now.</p>",
    "<p>Could you send a screenshot of the error and the time it happened?</p>",
    "<p>I have reset the configuration on our side; please try again and let me know.</p>",
    "<p>We are aware of the problem and working on a fix. Next update within two hours.</p>",
    "<p>I connected remotely and applied the fix. Please confirm it works for you.</p>",
]
REQUESTER_REPLIES = [
    "<p>Here is the screenshot, the error appears every time.</p>",
    "<p>Still the same after trying again.</p>",
    "<p>It works now, thank you very much!</p>",
    "<p>I will be out of office tomorrow, please call my mobile.</p>",
]
WORK_NOTES = [
    "<p>Checked the logs: authentication failures from the client. Escalating if it recurs.</p>",
    "<p>Known issue, linked to the vendor case. Workaround applied.</p>",
    "<p>Reproduced on a test machine. Driver update fixes it.</p>",
    "<p>Waiting for the change window tonight to restart the service.</p>",
]
RESOLUTIONS = [  # code, weight, notes
    ("solved_permanently", 30, "<p>Replaced the faulty component and checked with the user.</p>"),
    ("solved_permanently", 25, "<p>Applied the configuration fix; the user confirmed it.</p>"),
    ("solved_workaround", 18, "<p>Workaround given while the vendor prepares a fix.</p>"),
    ("user_error", 15, "<p>Explained the correct procedure to the user.</p>"),
    ("not_reproducible", 7, "<p>Could not reproduce; reopen if it happens again.</p>"),
    ("duplicate", 5, "<p>Duplicate of an incident already being worked on.</p>"),
]
IMPACT_WEIGHTS = [("high", 8), ("medium", 32), ("low", 60)]
URGENCY_WEIGHTS = [("high", 12), ("medium", 40), ("low", 48)]
CHANNEL_WEIGHTS = [("portal", 40), ("email", 30), ("phone", 22), ("monitoring", 5), ("api", 3)]
PENDING_REASONS = ["customer", "customer", "supplier", "change"]


def creation_times(
    count: int, now: float, rng: random.Random, *, days: float, yearly_growth: float = 0.35
) -> array:
    """`count` sorted epoch seconds over the last `days` days: volume growing `yearly_growth` a
    year, 85% in office hours, weekends at a quarter of a weekday's volume."""
    start = now - days * DAY
    growth = math.log1p(yearly_growth)
    years = days / 365
    total = math.expm1(growth * years)
    out = array("d")
    append, rand, log1p = out.append, rng.random, math.log1p
    start_weekday = datetime.fromtimestamp(start, UTC).weekday()
    while len(out) < count:
        day = min(int(log1p(rand() * total) / growth * 365), int(days) - 1)
        if (start_weekday + day) % 7 >= 5 and rand() < 0.75:
            continue
        # 85% in office hours (07:30-18:30, peaking at midday), the rest at any time.
        seconds = 7.5 * 3600 + (rand() + rand()) * 5.5 * 3600 if rand() < 0.85 else rand() * DAY
        ts = start + day * DAY + seconds
        if ts < now - 60:
            append(ts)
    return array("d", sorted(out))
