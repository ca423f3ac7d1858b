#!/usr/bin/python3
"""Write samples/events.jsonl: three weeks of events of a small online shop.

Deterministic (fixed seed, standard library only). Run from anywhere:

    /usr/bin/python3 samples/generate_events.py

The events are written in *arrival order*: sorted by occurredAt, except for a
few lines a publisher delivered late or twice (see LATE and the duplicate
below). The simulator replays by occurredAt, so the outcome is the same as in
production, where the engine ignores an event older than an instance's entry.

Every customer below is a scenario; the comment says which journey paths it
walks. samples/README.md has the overview table.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20260302
START = date(2026, 3, 2)  # a Monday; "day 0"
UTC = timezone.utc
OUT = Path(__file__).resolve().parent / "events.jsonl"

rng = random.Random(SEED)
# Survey answers about whole journeys, email ratings and NPS come from a source of their own, so the events
# above them keep the values and ids they had before feedback was added.
feedback_rng = random.Random(SEED + 1)

CATALOG = [
    ("LNN-PIL-01", "Linen pillow cover", 24.95),
    ("LNN-DUV-02", "Linen duvet cover", 119.00),
    ("STW-MUG-04", "Stoneware mug", 14.50),
    ("STW-BWL-07", "Stoneware bowl set", 39.90),
    ("WOL-THR-03", "Wool throw", 79.00),
    ("CND-SOY-01", "Soy candle", 12.90),
    ("FJL-JKT-11", "Fjell rain jacket", 149.00),
    ("TRL-SCK-02", "Merino trail socks", 18.50),
    ("TNT-2P-05", "Two-person tent", 229.00),
    ("BTL-STL-03", "Steel bottle 0.75 l", 22.00),
    ("HDL-LMP-08", "Head lamp", 34.95),
    ("PCK-30L-02", "Daypack 30 l", 89.00),
]

# --------------------------------------------------------------------------------------
# Customers. A missing key means the profile does not have it.
# --------------------------------------------------------------------------------------
CUSTOMERS: dict[str, dict] = {}
TAGS: dict[str, list[str]] = {}


def customer(cid: str, tags: str, **profile) -> str:
    CUSTOMERS[cid] = profile
    TAGS[cid] = [t.strip() for t in tags.split(";") if t.strip()]
    return cid


def tz_of(cid: str) -> ZoneInfo:
    # Same fallback as the journeys' `time_zone`, so that local times below mean what they say.
    return ZoneInfo(CUSTOMERS[cid].get("timeZone", "Europe/Amsterdam"))


def local(cid: str, day: int, hh: int, mm: int = 0) -> datetime:
    """Day `day` after START at hh:mm in the customer's zone, as UTC."""
    d = START + timedelta(days=day)
    return datetime.combine(d, time(hh, mm), tzinfo=tz_of(cid)).astimezone(UTC)


def utc(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(START + timedelta(days=day), time(hh, mm), tzinfo=UTC)


# --------------------------------------------------------------------------------------
# Event emission
# --------------------------------------------------------------------------------------
EVENTS: list[dict] = []  # each: {"event": {...}, "arrival": datetime}
_profile_sent: set[str] = set()
_seq = Counter()


def new_id() -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def emit(cid: str, type_: str, at: datetime, props: dict | None = None, *,
         profile: dict | None = None, late: timedelta | None = None, event_id: str | None = None) -> dict:
    """Add one event. The first event of a customer carries the full profile."""
    ev = {
        "eventId": event_id or new_id(),
        "customerId": cid,
        "type": type_,
        "occurredAt": iso(at),
        "properties": props or {},
    }
    if cid not in _profile_sent:
        ev["customer"] = CUSTOMERS[cid]
        _profile_sent.add(cid)
    elif profile:
        ev["customer"] = profile
    EVENTS.append({"event": ev, "arrival": at + (late or timedelta(0))})
    return ev


def jitter(t: datetime, minutes: int = 20) -> datetime:
    return t + timedelta(minutes=rng.randint(0, minutes), seconds=rng.randint(0, 59))


def browse(cid: str, at: datetime, n: int | None = None) -> None:
    """page.viewed: not used by any journey, so it must simply be ignored."""
    for i in range(n if n is not None else rng.randint(1, 2)):
        sku, name, _ = rng.choice(CATALOG)
        emit(cid, "page.viewed", at - timedelta(minutes=3 * (i + 1)),
             {"url": f"/p/{sku.lower()}", "title": name})


def cart(cid: str, at: datetime, *, total: float | None = None, items: int | None = None,
         cart_id: str | None = None, views: bool = True) -> tuple[str, float]:
    """cart.abandoned with realistic items; returns (cartId, total).

    Random carts are worth at least 20 (the journey's entry `when`); pass `total` for a smaller one.
    """
    if cart_id is None:
        _seq["cart"] += 1
        cart_id = f"k-{1000 + _seq['cart']}"
    if views:
        browse(cid, at - timedelta(minutes=35))
    if total is not None:
        sku, name, _ = rng.choice(CATALOG)
        lines = [{"sku": sku, "name": name, "qty": 1, "price": total}]
    else:
        lines = []
        while sum(l["qty"] * l["price"] for l in lines) < 20:
            lines = [{"sku": sku, "name": name, "qty": rng.choice([1, 1, 1, 2]), "price": price}
                     for sku, name, price in rng.sample(CATALOG, items or rng.randint(1, 4))]
        total = round(sum(l["qty"] * l["price"] for l in lines), 2)
    emit(cid, "cart.abandoned", at, {
        "cartId": cart_id, "total": total, "currency": "EUR",
        "itemCount": sum(l["qty"] for l in lines), "items": lines,
    })
    return cart_id, total


PLACED: dict[str, datetime] = {}
# (customer, order, delivered at, answered at, score): each answered survey, for the feedback below.
SURVEYS: list[tuple[str, str, datetime, datetime, int]] = []
DELIVERED: dict[str, datetime] = {}


def order(cid: str, at: datetime, cart_id: str | None = None, total: float | None = None,
          late: timedelta | None = None) -> str:
    _seq["order"] += 1
    order_id = f"o-{5000 + _seq['order']}"
    PLACED[order_id] = at
    if cart_id is None:
        _seq["cart"] += 1
        cart_id = f"k-{1000 + _seq['cart']}"
    if total is None:
        total = round(rng.uniform(25, 180), 2)
    emit(cid, "order.placed", at, {
        "orderId": order_id, "cartId": cart_id, "total": total, "currency": "EUR",
        "paymentMethod": rng.choice(["card", "paypal", "ideal", "klarna"]),
    }, late=late)
    return order_id


PROMISED_DAYS = 2  # the shop promises delivery within two days of the order


def days_late(order_id: str, delivered: datetime) -> int:
    return max(0, (delivered.date() - PLACED[order_id].date()).days - PROMISED_DAYS)


def deliver(cid: str, at: datetime, order_id: str) -> None:
    props = {"orderId": order_id, "carrier": rng.choice(["PostNL", "DHL", "UPS"])}
    if order_id in PLACED:
        props["daysLate"] = days_late(order_id, at)
    DELIVERED.setdefault(order_id, at)
    emit(cid, "order.delivered", at, props)


def answer(cid: str, at: datetime, order_id: str, score: int) -> None:
    """The answer to the survey mail's question: a touchpoint CSAT (feedback.submitted, no sendKey: it belongs to
    the customer's last email, the survey or its reminder)."""
    rng.randint(0, 2)  # was the effort score; kept so every later event keeps its values
    emit(cid, "feedback.submitted", at, {"metric": "csat", "score": score, "orderId": order_id})
    SURVEYS.append((cid, order_id, DELIVERED.get(order_id, at), at, score))


_last_orders: dict[str, str] = {}


def lapsed(cid: str, day: int, last_order_days: int = 90) -> None:
    """The nightly job runs at 02:00 UTC."""
    if cid not in _last_orders:
        _seq["lapsed-order"] += 1
        _last_orders[cid] = f"o-{3000 + _seq['lapsed-order']}"
    emit(cid, "customer.lapsed", utc(day, 2, 0) + timedelta(seconds=rng.randint(1, 300)), {
        "lastOrderId": _last_orders[cid],
        "lastOrderAt": iso(utc(day, 2) - timedelta(days=last_order_days, hours=rng.randint(1, 20))),
        "daysSinceLastOrder": last_order_days,
        "lifetimeOrders": rng.randint(1, 9),
        "lifetimeValue": round(rng.uniform(40, 900), 2),
    })


def purchase_flow(cid: str, placed: datetime, *, cart_id: str | None = None, score: int | None = None,
                  answer_after: timedelta | None = None, deliver_days: int = 2) -> str:
    """order.placed; order.delivered `deliver_days` later (Monday to Friday, 11-16h local, so that the
    survey goes out the next day); survey.answered `answer_after` the delivery (>= 1 day: after the survey)."""
    oid = order(cid, placed, cart_id)
    day = (placed.astimezone(tz_of(cid)).date() - START).days + deliver_days
    while (START + timedelta(days=day)).weekday() >= 5:        # no delivery on Saturday or Sunday
        day += 1
    delivered = local(cid, day, rng.randint(11, 16), rng.randint(0, 59))
    deliver(cid, delivered, oid)
    if score is not None:
        after = max(answer_after or timedelta(days=1, hours=3), timedelta(days=1, hours=1))
        answer(cid, delivered + after, oid, score)
    return oid


# ======================================================================================
# Scenarios
# ======================================================================================
def profile(first, last, email, tz, locale, **attributes):
    p = {}
    if email:
        p["email"] = email
    if first:
        p["firstName"] = first
    if last:
        p["lastName"] = last
    if locale:
        p["locale"] = locale
    if tz:
        p["timeZone"] = tz
    if attributes:
        p["attributes"] = attributes
    return p


def welcome_scenarios() -> None:
    c = customer("c-01", "welcome: full path, branch outdoor; cart: converted in wait_for, not vip; "
                 "survey: Sunday send deferred to Monday, score 4 -> review",
                 **profile("Ann", "de Vries", "ann.devries@example.nl", "Europe/Amsterdam", "nl-NL",
                           interest="outdoor", vip=False))
    emit(c, "customer.signed_up", local(c, 0, 9, 12), {"source": "web"})
    browse(c, local(c, 3, 20, 5), 2)
    k, _ = cart(c, local(c, 9, 18, 40), items=3)
    oid = order(c, local(c, 10, 7, 55), k)                     # within the 1d wait_for
    deliver(c, local(c, 12, 11, 20), oid)                       # Saturday -> survey due Sunday: deferred
    answer(c, local(c, 14, 9, 41), oid, 4)

    c = customer("c-02", "welcome: branch home, wait_until across the US DST switch (Mar 8); "
                 "goal after the instance completed does not count (no within); survey: no answer, reminder, timeout",
                 **profile("Liam", "Walsh", "liam.walsh@example.com", "America/New_York", "en-US", interest="home"))
    emit(c, "customer.signed_up", local(c, 4, 14, 5), {"source": "web"})
    browse(c, local(c, 9, 21, 0), 3)
    purchase_flow(c, local(c, 15, 20, 30), deliver_days=3)

    c = customer("c-03", "welcome: sign-up at 23:40 local -> deferred to 08:00, branch else (no interest)",
                 **profile("Sofia", "Costa", "sofia.costa@example.com.br", "America/Sao_Paulo", "pt-BR"))
    emit(c, "customer.signed_up", local(c, 1, 23, 40), {"source": "app"})
    browse(c, local(c, 6, 13, 0), 2)

    c = customer("c-04", "welcome: goal order.placed converts and exits (no first-order mail); survey: score 5 -> review",
                 **profile("Kenji", "Sato", "kenji.sato@example.jp", "Asia/Tokyo", "ja-JP", interest="outdoor"))
    emit(c, "customer.signed_up", local(c, 2, 20, 15), {"source": "web"})
    purchase_flow(c, local(c, 8, 12, 30), score=5, answer_after=timedelta(hours=26))

    c = customer("c-05", "welcome: branch home, southern hemisphere; signs up again later: reentry never -> no entry",
                 **profile("Emma", "Brown", "emma.brown@example.com.au", "Australia/Sydney", "en-AU", interest="home"))
    emit(c, "customer.signed_up", local(c, 0, 19, 30), {"source": "web"})
    emit(c, "customer.signed_up", local(c, 14, 8, 10), {"source": "app"})

    c = customer("c-06", "welcome: no email address -> every send skipped:no-address, instance still completes",
                 **profile("Yusuf", "Demir", None, "UTC", "tr-TR", interest="outdoor"))
    emit(c, "customer.signed_up", utc(1, 10, 0), {"source": "app", "channel": "phone"})

    c = customer("c-07", "welcome: unsubscribed -> tips suppressed; resubscribed -> first-order sent",
                 **profile("Noah", "Müller", "noah.mueller@example.de", "Europe/Berlin", "de-DE", interest="outdoor"))
    emit(c, "customer.signed_up", local(c, 0, 10, 0), {"source": "web"})
    emit(c, "customer.unsubscribed", local(c, 1, 18, 20), {"source": "email-link", "journey": "welcome"})
    emit(c, "customer.resubscribed", local(c, 4, 12, 0), {"source": "preference-center"})

    c = customer("c-08", "welcome: hard bounce (email.bounced permanent) -> later sends suppressed",
                 **profile("Olivia", "Smith", "olivia.smith@example.co.uk", "Europe/London", "en-GB", interest="home"))
    emit(c, "customer.signed_up", local(c, 1, 12, 0), {"source": "web"})
    emit(c, "email.bounced", local(c, 1, 12, 1), {"permanent": True, "email": "olivia.smith@example.co.uk",
                                                   "reason": "550 5.1.1 mailbox unavailable"})

    c = customer("c-09", "welcome: profile without timeZone -> journey time_zone Europe/Amsterdam; "
                 "account.deleted -> exited",
                 **profile("Lucas", "Martin", "lucas.martin@example.fr", None, "fr-FR", interest="home"))
    emit(c, "customer.signed_up", utc(3, 7, 10), {"source": "web"})   # 08:10 in Amsterdam: inside the window
    emit(c, "account.deleted", utc(5, 16, 45), {"reason": "customer-request"})


def cart_scenarios() -> None:
    c = customer("c-10", "cart: order during wait_for -> converted + resumed, branch vip -> vip-thanks; "
                 "survey: score 5 -> review",
                 **profile("Mia", "Jansen", "mia.jansen@example.nl", "Europe/Amsterdam", "nl-NL", vip=True))
    k, _ = cart(c, local(c, 1, 20, 10), items=3)
    purchase_flow(c, local(c, 2, 8, 5), cart_id=k, score=5, answer_after=timedelta(days=1, hours=2, minutes=30))

    c = customer("c-11", "cart: converted in wait_for, branch else -> end; survey: score 1 -> service recovery",
                 **profile("Ethan", "Clark", "ethan.clark@example.com", "America/New_York", "en-US", vip=False))
    k, _ = cart(c, local(c, 2, 13, 0), items=2)
    purchase_flow(c, local(c, 2, 19, 30), cart_id=k, score=1, deliver_days=5, answer_after=timedelta(days=1, hours=1))

    c = customer("c-12", "cart: total below 20 -> not entered (entry when); later cart -> timeout, split; "
                 "order 3 days after the split -> converted within 7d",
                 **profile("Isabella", "Rocha", "isabella.rocha@example.com.br", "America/Sao_Paulo", "pt-BR"))
    cart(c, local(c, 3, 15, 0), total=12.90, items=1)
    k, _ = cart(c, local(c, 8, 10, 30), items=2)
    purchase_flow(c, local(c, 11, 19, 0), cart_id=k, score=3)   # survey score 3 -> else -> end

    c = customer("c-13", "cart: cart.emptied for the same cart during wait_for -> exited",
                 **profile("Jack", "Wilson", "jack.wilson@example.com.au", "Australia/Sydney", "en-AU"))
    k, _ = cart(c, local(c, 4, 12, 15), items=2)
    emit(c, "cart.emptied", local(c, 4, 17, 40), {"cartId": k})

    c = customer("c-14", "cart: cart.emptied for another cart -> exit `when` false, instance goes on to the split",
                 **profile("Yui", "Tanaka", "yui.tanaka@example.jp", "Asia/Tokyo", "ja-JP"))
    cart(c, local(c, 7, 12, 0), items=2)
    emit(c, "cart.emptied", local(c, 7, 15, 0), {"cartId": "k-0417"})

    c = customer("c-15", "cart: account.deleted while waiting -> exited (cart-recovery and post-purchase)",
                 **profile("Max", "Weber", "max.weber@example.de", "Europe/Berlin", "de-DE"))
    oid = order(c, local(c, 3, 9, 30))
    deliver(c, local(c, 5, 12, 0), oid)
    cart(c, local(c, 8, 18, 0), items=2)
    emit(c, "account.deleted", local(c, 8, 22, 30), {"reason": "customer-request"})

    c = customer("c-16", "cart: re-entry of the same cart: 3 days later too early (after 7d), 8 days later allowed",
                 **profile("George", "Taylor", "george.taylor@example.co.uk", "Europe/London", "en-GB"))
    k, _ = cart(c, local(c, 0, 19, 0), items=2)
    cart(c, local(c, 3, 21, 0), cart_id=k, items=3)            # entry + 3d: too early
    cart(c, local(c, 8, 19, 30), cart_id=k, items=3)           # entry + 8d: enters again

    c = customer("c-17", "cart: same cart abandoned again while its instance is active -> no second instance; "
                 "a second cart -> two instances side by side (key cartId)",
                 **profile("Camille", "Dubois", "camille.dubois@example.fr", "Europe/Paris", "fr-FR"))
    k, _ = cart(c, local(c, 9, 10, 0), items=2)
    cart(c, local(c, 9, 10, 40), cart_id=k, items=2, views=False)
    cart(c, local(c, 9, 16, 0), items=2)

    # Guests who gave an email address but no name: the discount mail needs customer.firstName
    # (`| required`), so in the `discount` variant they get skipped:missing-data:customer.firstName.
    guests = [("c-18", "Europe/Amsterdam", "nl-NL"), ("c-19", "America/New_York", "en-US"),
              ("c-20", "Europe/London", "en-GB"), ("c-21", "Australia/Sydney", "en-AU"),
              ("c-22", "Europe/Berlin", "de-DE"), ("c-40", "America/Chicago", "en-US"),
              ("c-41", "Asia/Tokyo", "ja-JP")]
    for i, (cid, tz, loc) in enumerate(guests):
        c = customer(cid, "cart: guest without firstName -> timeout, split; discount variant is "
                     "skipped:missing-data:customer.firstName, other templates fall back to `default`",
                     **profile(None, None, f"guest{100 + i}@example.org", tz, loc))
        cart(c, local(c, 2 + 2 * i, rng.randint(9, 17), rng.randint(0, 59)), items=rng.randint(1, 3))

    c = customer("c-23", "cart: the same cart.abandoned delivered twice (same eventId) -> processed once",
                 **profile("Sven", "Eriksson", "sven.eriksson@example.se", "Europe/Stockholm", "sv-SE"))
    cart(c, local(c, 5, 14, 20), items=2)
    dup = EVENTS[-1]
    EVENTS.append({"event": dict(dup["event"]), "arrival": dup["arrival"] + timedelta(minutes=2)})

    c = customer("c-24", "cart: cart.emptied that happened before the cart was abandoned arrives late "
                 "-> older than the entry, ignored; instance goes on",
                 **profile("Hannah", "Becker", "hannah.becker@example.at", "Europe/Vienna", "de-AT"))
    k, _ = cart(c, local(c, 10, 10, 40), items=2)
    emit(c, "cart.emptied", local(c, 10, 10, 0), {"cartId": k}, late=timedelta(minutes=55))

    c = customer("c-25", "cart: reminder due 22:30 local, after the 22:00 window -> deferred to 08:00",
                 **profile("Ryan", "O'Connor", "ryan.oconnor@example.com", "America/Los_Angeles", "en-US"))
    cart(c, local(c, 12, 21, 30), items=3)

    c = customer("c-26", "frequency cap: survey + three cart reminders within hours -> 4th mail deferred "
                 "(cap 3 per 1d); survey: no answer -> reminder",
                 **profile("Priya", "Nair", "priya.nair@example.co.uk", "Europe/London", "en-GB"))
    oid = order(c, local(c, 10, 19, 10))
    deliver(c, local(c, 12, 13, 30), oid)                      # Saturday; survey deferred to Monday 09:00
    cart(c, local(c, 14, 10, 15), items=2)
    cart(c, local(c, 14, 12, 30), items=1)
    cart(c, local(c, 14, 15, 0), items=3)

    c = customer("c-27", "cart: order of the cart 9 days after entry -> outside goal.within 7d, not converted",
                 **profile("Lena", "Novak", "lena.novak@example.cz", "Europe/Prague", "cs-CZ"))
    k, _ = cart(c, local(c, 1, 11, 0), items=2)
    order(c, local(c, 10, 12, 0), k)

    c = customer("c-28", "cart: order of a different cart during wait_for -> no goal, no resume; "
                 "timeout -> split; survey: replacement delivery of the same order while active -> no entry, "
                 "after completion -> enters again (reentry always)",
                 **profile("Zoe", "Adams", "zoe.adams@example.com", "America/New_York", "en-US"))
    cart(c, local(c, 7, 11, 0), items=2)
    oid = order(c, local(c, 7, 18, 0))
    deliver(c, local(c, 9, 12, 0), oid)
    deliver(c, local(c, 11, 15, 0), oid)                       # carrier re-scan while the survey runs
    deliver(c, local(c, 18, 13, 0), oid)                       # replacement parcel after the survey ended

    # Ordinary shoppers: enough carts to reach every split variant; some come back and order
    # (converted inside the 7-day window, also for the holdout `control`), some do not.
    ordinary = [
        ("c-29", "Chloe", "Lambert", "Europe/Brussels", "fr-BE"),
        ("c-30", "Mateo", "García", "Europe/Madrid", "es-ES"),
        ("c-31", "Aroha", "Ngata", "Pacific/Auckland", "en-NZ"),
        ("c-32", "Thabo", "Mokoena", "Africa/Johannesburg", "en-ZA"),
        ("c-33", "Giulia", "Romano", "Europe/Rome", "it-IT"),
        ("c-34", "Daniel", "Kim", "America/Los_Angeles", "en-US"),
        ("c-35", "Ana", "Silva", "America/Sao_Paulo", "pt-BR"),
        ("c-36", "Oliver", "Jones", "Australia/Sydney", "en-AU"),
        ("c-37", "Sara", "Lindqvist", "Europe/Stockholm", "sv-SE"),
        ("c-38", "Hiroshi", "Yamamoto", "Asia/Tokyo", "ja-JP"),
        ("c-39", "Fatima", "Haddad", "UTC", "en"),
    ]
    for i, (cid, first, last, tz, loc) in enumerate(ordinary):
        comes_back = i % 2 == 0
        c = customer(cid, "cart: timeout -> split" + ("; order 2-5 days later -> converted within 7d"
                                                       if comes_back else "; never orders"),
                     **profile(first, last, f"{first.lower()}.{last.lower()}@example.net".replace("í", "i"),
                               tz, loc, vip=(i == 4)))
        day = 1 + (i * 17) % 13
        k, _ = cart(c, local(c, day, rng.randint(9, 19), rng.randint(0, 59)))
        if comes_back:
            purchase_flow(c, local(c, day + rng.randint(2, 5), rng.randint(9, 20), rng.randint(0, 59)),
                          cart_id=k, score=rng.choice([None, 2, 4, 5]),
                          answer_after=timedelta(days=rng.choice([1, 2, 5]), hours=rng.randint(0, 6)))


def survey_scenarios() -> None:
    c = customer("c-42", "survey: two orders delivered the same week -> two instances (key orderId); "
                 "first order: no answer -> reminder, answered after the reminder (score 4) -> review request; "
                 "second order: score 2 on a Sunday -> service-recovery mail deferred to Monday; "
                 "an answer for the other order does not resume an instance",
                 **profile("Emily", "Fischer", "emily.fischer@example.ch", "Europe/Zurich", "de-CH"))
    o1 = order(c, local(c, 1, 20, 0))
    o2 = order(c, local(c, 3, 9, 15))
    deliver(c, local(c, 3, 14, 0), o1)
    deliver(c, local(c, 4, 11, 30), o2)
    answer(c, local(c, 6, 19, 0), o2, 2)                       # o2: score 2 on Sunday -> recovery mail deferred to Monday
    answer(c, local(c, 8, 8, 30), o1, 4)                       # o1: after its reminder -> review

    c = customer("c-43", "survey: unsubscribed -> survey suppressed, instance goes on (reminder suppressed too)",
                 **profile("Marco", "Bianchi", "marco.bianchi@example.it", "Europe/Rome", "it-IT"))
    emit(c, "customer.unsubscribed", local(c, 2, 21, 5), {"source": "preference-center"})
    oid = order(c, local(c, 4, 10, 0))
    deliver(c, local(c, 6, 12, 0), oid)

    c = customer("c-44", "survey: score 3 -> branch else -> end; order.placed reported late by the ERP "
                 "(arrives 5h after it happened)",
                 **profile("Sophie", "Laurent", "sophie.laurent@example.fr", "Europe/Paris", "fr-FR"))
    oid = order(c, local(c, 5, 9, 0), late=timedelta(hours=5))
    deliver(c, local(c, 7, 11, 0), oid)                        # Monday
    answer(c, local(c, 8, 12, 10), oid, 3)


def winback_scenarios() -> None:
    # Existing customers without an order for 90 days. The nightly job publishes at 02:00 UTC.
    lapsers = [
        ("c-50", "Peter", "Hansen", "Europe/Copenhagen", "da-DK", 0),
        ("c-51", "Laura", "Meyer", "Europe/Berlin", "de-DE", 0),
        ("c-52", "James", "Miller", "America/New_York", "en-US", 0),
        ("c-53", "Chen", "Wei", "Asia/Singapore", "zh-SG", 1),
        ("c-54", "Lucy", "Evans", "Australia/Sydney", "en-AU", 2),
        ("c-55", "Pedro", "Alves", "America/Sao_Paulo", "pt-BR", 3),
        ("c-56", "Nina", "Kowalski", "Europe/Warsaw", "pl-PL", 3),
        ("c-57", "Tom", "Bakker", "Europe/Amsterdam", "nl-NL", 4),
        ("c-58", "Aiko", "Suzuki", "Asia/Tokyo", "ja-JP", 7),
        ("c-59", "Grace", "Lee", "America/Los_Angeles", "en-US", 7),
        ("c-60", "Jonas", "Berg", "Europe/Oslo", "nb-NO", 8),
        ("c-61", "Eva", "Horvat", "Europe/Zagreb", "hr-HR", 9),
        ("c-62", "Samuel", "Okafor", "Africa/Lagos", "en-NG", 10),
        ("c-63", "Julia", "Schmidt", "Europe/Vienna", "de-AT", 11),
        ("c-64", "William", "Brown", "Pacific/Auckland", "en-NZ", 14),
        ("c-65", "Clara", "Moreau", "Europe/Paris", "fr-FR", 14),
        ("c-66", "Diego", "Fernández", "America/Argentina/Buenos_Aires", "es-AR", 15),
        ("c-67", "Mei", "Lin", None, "en", 16),
    ]
    special = {
        "c-50": "win-back: order before the first mail (during wait_until) -> converted, exit",
        "c-51": "win-back: account.deleted -> exited",
        "c-52": "win-back: customer.lapsed published again 8 days later -> too early (after 180d), no entry",
        "c-53": "win-back: order 2 days after the first mail -> converted, goal.exit ends it (no last-chance mail)",
        "c-54": "win-back: first mail bounces (email.bounced permanent) -> last-chance suppressed",
        "c-56": "win-back: order 12 days after entry, after the instance completed -> still converted (within 30d, the way holdouts are measured)",
        "c-60": "win-back: order 10 days after entry, after the last-chance mail -> converted after completion",
        "c-63": "win-back: unsubscribed before the first mail -> suppressed",
        "c-65": "win-back: order between first mail and last-chance -> converted, exit; survey: score 2 -> service recovery",
        "c-67": "win-back: profile without timeZone -> journey time_zone",
    }
    for cid, first, last, tz, loc, day in lapsers:
        email = f"{first.lower()}.{last.lower()}@example.org".replace("á", "a").replace("é", "e")
        c = customer(cid, special.get(cid, "win-back: wait_until Tuesday 10:00, split, mails or holdout"),
                     **profile(first, last, email, tz, loc))
        lapsed(c, day)
    c = "c-50"; purchase_flow(c, local(c, 0, 18, 45), score=5)
    c = "c-51"; emit(c, "account.deleted", local(c, 0, 21, 0), {"reason": "customer-request"})
    c = "c-52"; lapsed(c, 8, 98)
    c = "c-53"; purchase_flow(c, local(c, 10, 12, 0))
    c = "c-54"; emit(c, "email.bounced", local(c, 8, 10, 2), {"permanent": True, "email": "lucy.evans@example.org",
                                                              "reason": "552 mailbox full for 30 days"})
    c = "c-56"; purchase_flow(c, local(c, 15, 20, 0), score=4)
    c = "c-60"; order(c, local(c, 18, 19, 30))
    c = "c-63"; emit(c, "customer.unsubscribed", local(c, 11, 20, 0), {"source": "email-link"})
    c = "c-65"; purchase_flow(c, local(c, 19, 10, 0), score=2)
    for cid in ("c-55", "c-58", "c-61", "c-64"):
        browse(cid, local(cid, rng.randint(10, 19), 20, 0), 2)


def repeat_buyers() -> None:
    """Customers who also buy something without a reminder, after their other journeys are done.
    Each order starts a post-purchase survey with a random answer (or none)."""
    for cid, day in [("c-03", 12), ("c-05", 11), ("c-07", 13), ("c-14", 15), ("c-16", 4),
                     ("c-19", 16), ("c-23", 12), ("c-24", 16), ("c-44", 14), ("c-20", 13)]:
        score = rng.choice([None, 5, 4, 4, 5, 5])
        TAGS[cid].append("survey: repeat purchase, " + (f"answers {score}" if score else "no answer"))
        purchase_flow(cid, local(cid, day, rng.randint(8, 21), rng.randint(0, 59)), score=score,
                      answer_after=timedelta(days=1, hours=rng.randint(2, 30)))


def noise() -> None:
    """Other site activity: unknown types for the journeys (page.viewed, wishlist.added)."""
    for cid in sorted(CUSTOMERS):
        if cid == "c-06":
            continue
        for _ in range(rng.randint(1, 3)):
            t = local(cid, rng.randint(0, 20), rng.randint(7, 22), rng.randint(0, 59))
            if rng.random() < 0.2:
                sku, name, _ = rng.choice(CATALOG)
                emit(cid, "wishlist.added", t, {"sku": sku, "name": name})
            else:
                browse(cid, t, 1)


def feedback_id() -> str:
    return str(uuid.UUID(int=feedback_rng.getrandbits(128), version=4))


def feedback() -> None:
    """The three levels of experience, with the pattern the HBR article describes: customers rate each email well,
    yet those whose parcel came late rate the journey as a whole poorly.

    - touchpoint: a "was this email helpful?" rating of the follow-up mail (review request or service recovery),
      a few hours after it went out (no sendKey: the customer's last email);
    - journey: the answer to the journey question mail at the end of the survey journey (properties.journey);
    - relationship: NPS from a quarter of the customers in the last week.
    """
    for cid, order_id, delivered, answered, score in SURVEYS:
        late = order_id in PLACED and days_late(order_id, delivered) > 0
        if score <= 2 or score >= 4:
            emit(cid, "feedback.submitted", answered + timedelta(hours=3, minutes=feedback_rng.randint(0, 50)),
                 {"metric": "csat", "score": feedback_rng.choice([4, 5, 5, 5])}, event_id=feedback_id())
        if feedback_rng.random() < 0.9:
            journey_score = feedback_rng.choice([1, 2, 2, 3]) if late else feedback_rng.choice([4, 4, 5, 5, 3])
            props = {"metric": "csat", "score": journey_score, "journey": "post-purchase-survey"}
            if late and journey_score <= 2:
                props["comment"] = "the parcel came days after the promised date"
            emit(cid, "feedback.submitted", answered + timedelta(days=2, hours=feedback_rng.randint(4, 30)), props,
                 event_id=feedback_id())
    for cid in sorted(CUSTOMERS)[::4]:
        emit(cid, "feedback.submitted", local(cid, 18 + feedback_rng.randint(0, 2), feedback_rng.randint(9, 20), feedback_rng.randint(0, 59)),
             {"metric": "nps", "score": feedback_rng.choice([10, 9, 9, 8, 7, 6, 3, 10, 9, 8])}, event_id=feedback_id())


def main() -> int:
    welcome_scenarios()
    cart_scenarios()
    survey_scenarios()
    winback_scenarios()
    repeat_buyers()
    noise()
    feedback()

    # Arrival order: occurredAt, except late and duplicate deliveries; ties keep creation order.
    ordered = sorted(EVENTS, key=lambda e: e["arrival"])
    lines = [json.dumps(e["event"], ensure_ascii=False, separators=(",", ":")) for e in ordered]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")

    evs = [e["event"] for e in ordered]
    first, last = min(e["occurredAt"] for e in evs), max(e["occurredAt"] for e in evs)
    out_of_order = sum(1 for a, b in zip(evs, evs[1:]) if b["occurredAt"] < a["occurredAt"])
    ids = Counter(e["eventId"] for e in evs)
    print(f"seed {SEED}: wrote {len(evs)} events for {len(CUSTOMERS)} customers to {OUT}")
    print(f"  occurredAt {first} .. {last}; {out_of_order} line(s) arrive out of order; "
          f"{sum(n - 1 for n in ids.values())} duplicate eventId(s)")
    print("  by type: " + ", ".join(f"{t} {n}" for t, n in sorted(Counter(e['type'] for e in evs).items())))
    zones = Counter(CUSTOMERS[c].get("timeZone", "(none)") for c in CUSTOMERS)
    print(f"  {len(zones)} time zones: " + ", ".join(sorted(zones)))
    print("  scenarios:")
    for cid in sorted(CUSTOMERS):
        for i, tag in enumerate(TAGS[cid]):
            print(f"    {cid if i == 0 else '':5} {tag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
