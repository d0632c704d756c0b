"""The parser on a corpus of real-world shapes: clients, languages, encodings, broken mail."""

import pytest

from inbound.body import description_html, reply_text
from inbound.parser import parse, source_key
from tests.inbound.conftest import MESSAGES, corpus


@pytest.mark.parametrize("path", sorted(MESSAGES.glob("*.eml")), ids=lambda p: p.name)
def test_every_message_of_the_corpus_parses(path):
    parsed = parse(path.read_bytes())
    assert parsed.subject


@pytest.mark.parametrize(
    ("name", "subject", "text", "sender_name"),
    [
        ("persian_windows1256.eml", "چاپگر خراب است", "چاپگر طبقه دوم", "علي رضايي"),
        ("persian_8bit_no_charset.eml", "مشکل ایمیل", "ایمیل من ارسال نمی شود", ""),
        ("chinese_gb2312_declared.eml", "打印机故障", "打印机无法连接网络。请帮忙处理。镕", "王伟"),
        ("chinese_big5.eml", "電腦無法開機", "我的電腦無法開機", ""),
        ("apple_mail_qp_latin1.eml", "Contraseña caducada", "Mi contraseña", "José García"),
        ("gmail_alternative_html.eml", "VPN fällt ständig aus", "Das VPN fällt", "Jürgen Müller"),
        ("wrong_charset_label.eml", "Problème de messagerie", "Je ne reçois plus", ""),
    ],
)
def test_legacy_encodings_and_encoded_words_decode(name, subject, text, sender_name):
    parsed = parse(corpus(name))
    assert parsed.subject == subject
    assert text in parsed.text
    assert parsed.sender_name == sender_name


def test_outlook_html_with_an_inline_image_and_an_attachment():
    parsed = parse(corpus("outlook_html_inline_image.eml"))
    assert parsed.sender == "sara@client.example"
    assert parsed.cc == ["tom@client.example", "desk@example.test", "ana@client.example"]
    assert parsed.text.startswith("The printer on floor 3")  # plain text preferred
    image, pdf = parsed.parts
    assert (image.filename, image.inline, image.content_id) == (
        "image001.png",
        True,
        "image001.png@01DA",
    )
    assert pdf.filename == "error-log.pdf" and pdf.data.startswith(b"%PDF-")


def test_html_only_mail_is_sanitised_to_the_allowed_tags():
    parsed = parse(corpus("html_only.eml"))
    html = description_html(text=parsed.text, html=parsed.html)
    assert "<script" not in html and "onclick" not in html and "javascript:" not in html
    assert '<a href="https://shop.example/err"' in html
    assert "<table>" in html


def test_broken_mime_boundaries_still_give_the_text():
    assert "The laptop screen flickers." in parse(corpus("broken_boundary.eml")).text
    assert "The keyboard is missing keys." in parse(corpus("no_boundary_param.eml")).text


def test_a_forwarded_message_is_kept_whole_as_an_eml_and_its_files_are_not_the_outers():
    parsed = parse(corpus("forwarded_rfc822.eml"))
    assert parsed.text == "Please look at the forwarded message."
    [nested] = parsed.parts
    assert nested.filename == "Server down alert.eml"
    assert parse(nested.data).subject == "Server down alert"


def test_winmail_dat_is_unpacked():
    parsed = parse(corpus("outlook_winmail_tnef.eml"))
    assert parsed.text == "The shared drive is full."
    [part] = parsed.parts
    assert (part.filename, part.data) == ("usage.txt", b"drive S: 100% used\n")


def test_a_calendar_invite_keeps_the_ics_and_summarises_it():
    parsed = parse(corpus("calendar_invite.eml"))
    assert "Summary: Network maintenance review" in parsed.text
    assert parsed.parts[0].filename == "invite.ics"


def test_rfc2231_file_names_decode():
    assert parse(corpus("rfc2231_filename.eml")).parts[0].filename == "résumé.txt"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("out_of_office.eml", "Auto-Submitted: auto-replied"),
        ("bulk_newsletter.eml", "Precedence: bulk"),
        ("bounce_dsn.eml", "Auto-Submitted: auto-replied"),
    ],
)
def test_machines_are_recognised(name, reason):
    assert parse(corpus(name)).auto_reason == reason


def test_a_delivery_report_names_the_failed_recipient():
    parsed = parse(corpus("bounce_dsn.eml"))
    assert parsed.is_bounce
    [(address, reason)] = parsed.bounced
    assert address == "gone@client.example"
    assert "User unknown" in reason


def test_people_are_not_machines():
    assert parse(corpus("thunderbird_reply.eml")).auto_reason == ""


def test_threading_headers():
    parsed = parse(corpus("thunderbird_reply.eml"))
    assert parsed.thread_ids[0] == "notification-1@desk.example.test"
    assert "AM0PR01MB1234.outlook.example@client.example" in parsed.thread_ids
    assert parsed.numbers_in_subject == ["INC0000001"]


def test_a_message_without_message_id_is_known_by_its_hash():
    raw = corpus("no_message_id.eml")
    assert source_key(raw, parse(raw).message_id).startswith("sha256:")
    assert source_key(raw, "") == source_key(raw, "")


def test_quoted_history_and_signature_are_stripped_from_a_reply():
    parsed = parse(corpus("thunderbird_reply.eml"))
    assert reply_text(text=parsed.text, html="") == "It works again after the restart, thank you!"


def test_outlook_style_quotes_are_stripped():
    text = "Fixed now.\n\n-----Original Message-----\nFrom: Desk\nSent: Monday\n\nold text"
    assert reply_text(text=text, html="") == "Fixed now."


def test_garbage_is_not_a_crash():
    parsed = parse(b"\x00\xff\xfe garbage without headers \x80\x81")
    assert parsed.sender == ""
