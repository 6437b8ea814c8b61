"""A login by the attacker itself, at another address of its guessing network or as one
more bot of a spraying campaign, is a break-in to act on ("Someone got in", its address
banned), not a "Maybe" to ask the owner about. A person's login after someone else's
guessing stays a question for the owner."""

from __future__ import annotations

from detect_factory import HOUR, MINUTE, Log

from mailwarden.detect import Detector, analyze
from mailwarden.detect.analysis import Analysis, Compromise
from mailwarden.locale import activate
from mailwarden.report.phrases import reason

NET6 = "2001:db8:9:9::"


def only_compromise(analysis: Analysis) -> Compromise:
    (compromise,) = analysis.compromised
    return compromise


def recommendation(analysis: Analysis, ip: str) -> str:
    attacker = analysis.attacker(ip)
    assert attacker is not None
    return attacker.recommendation


def daemon_bans(log: Log, ip: str) -> bool:
    detector = Detector(keep_history=False)
    found = [d for e in log.events for d in detector.feed(e) if d.ip == ip]
    return any(d.decision() is not None for d in found)


def network_guessing(log: Log, prefix: str, first: int = 1, also: str | None = None) -> None:
    """Eight addresses of one network fail once each on frank within four minutes (and,
    with ``also``, once on that account ten seconds later): the network is flagged for a
    ban."""
    for n in range(8):
        number = f"{first + n:x}" if ":" in prefix else str(first + n)
        log.sasl_failure(n * 30, prefix + number, "frank@example.com")
        if also is not None:
            log.sasl_failure(n * 30 + 10, prefix + number, also)


def test_a_login_from_the_guessing_64_is_the_attackers_break_in() -> None:
    log = Log()
    network_guessing(log, NET6)
    log.dovecot_login(6 * MINUTE, f"{NET6}99", "frank@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == [f"{NET6}/64"]
    compromise = only_compromise(analysis)
    assert compromise.ip == f"{NET6}99" and not compromise.by_others
    assert f"from this client's network {NET6}/64 within 1h" in compromise.reason
    assert "Ask the account's owner first" not in " ".join(compromise.advice)
    assert recommendation(analysis, f"{NET6}99") == "ban"
    assert daemon_bans(log, f"{NET6}99")
    # The same guessing, then a login from another /64: someone else's, to ask about.
    log = Log()
    network_guessing(log, NET6)
    log.dovecot_login(6 * MINUTE, "2001:db8:7:7::1", "frank@example.com")
    analysis = analyze(log.events)
    compromise = only_compromise(analysis)
    assert compromise.by_others and "from other clients" in compromise.reason
    assert recommendation(analysis, "2001:db8:7:7::1") == "watch"
    assert not daemon_bans(log, "2001:db8:7:7::1")


def test_a_login_from_a_24_reported_as_an_attacker_is_the_attackers_break_in() -> None:
    # Its addresses tried a list of accounts (frank and grace): a bot's, no one's phone.
    log = Log()
    network_guessing(log, "203.0.113.", first=10, also="grace@example.com")
    log.dovecot_failure(5 * MINUTE, "203.0.113.99", "frank@example.com")  # one try of its own
    log.dovecot_login(6 * MINUTE, "203.0.113.99", "frank@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == ["203.0.113.0/24"]
    compromise = only_compromise(analysis)
    assert not compromise.by_others
    assert "(1 from this client" not in compromise.reason
    assert "9 failed logins on this account from this client's network 203.0.113.0/24" in (
        compromise.reason
    )
    assert recommendation(analysis, "203.0.113.99") == "ban"
    assert daemon_bans(log, "203.0.113.99")


def test_a_login_from_a_carriers_24_where_one_other_address_guessed_is_asked() -> None:
    # One other address of the /24 guessed frank: the network is no attacker as a whole,
    # and the login after it may be frank's phone on the same carrier. As before: ask.
    log = Log()
    for n in range(8):
        log.sasl_failure(n * 30, "198.51.100.30", "frank@example.com")
    log.dovecot_login(6 * MINUTE, "198.51.100.31", "frank@example.com")
    analysis = analyze(log.events)
    assert analysis.findings_of("network") == []
    compromise = only_compromise(analysis)
    assert compromise.by_others and "from other clients" in compromise.reason
    assert recommendation(analysis, "198.51.100.31") == "watch"
    # Four addresses of the /24 guessing a list of accounts together are an attacker: a
    # login from it is theirs.
    log = Log()
    for n in range(8):
        user = "frank@example.com" if n % 2 else "grace@example.com"
        log.sasl_failure(n * 30, f"198.51.100.{30 + n % 4}", user)
        log.sasl_failure(n * 30 + 10, f"198.51.100.{30 + n % 4}", "frank@example.com")
    log.dovecot_login(6 * MINUTE, "198.51.100.40", "frank@example.com")
    analysis = analyze(log.events)
    assert not only_compromise(analysis).by_others
    assert recommendation(analysis, "198.51.100.40") == "ban"


def assert_asked(analysis: Analysis, ip: str) -> None:
    """A login the owner is to be asked about: "Maybe", not "Someone got in"; its address
    watched, not banned."""
    compromise = only_compromise(analysis)
    assert compromise.ip == ip and compromise.by_others
    assert "Ask the account's owner first" in " ".join(compromise.advice)
    assert "this client's network" not in compromise.reason
    assert recommendation(analysis, ip) == "watch"


def test_the_owners_phone_on_a_carriers_pool_is_asked_about_not_banned() -> None:
    # Carol's phone with an old password fails once from each of five addresses of a
    # carrier's pool (CGNAT), which stands as an attacking /24 (nobody logged in from
    # it); she then logs in from another address of the pool: ask her, ban nobody.
    log = Log()
    for n in range(5):
        log.dovecot_failure(n * MINUTE, f"198.51.100.{5 + n}", "carol@example.com")
    log.dovecot_login(10 * MINUTE, "198.51.100.77", "carol@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == ["198.51.100.0/24"]
    assert_asked(analysis, "198.51.100.77")
    assert "5 failed logins on this account from other clients" in (
        only_compromise(analysis).reason
    )
    assert not daemon_bans(log, "198.51.100.77")
    # The same addresses trying carol and dave, a list: the pool is a bot's, and the
    # login from it got in.
    log = Log()
    for n in range(5):
        log.dovecot_failure(n * MINUTE, f"198.51.100.{5 + n}", "carol@example.com")
        log.dovecot_failure(n * MINUTE + 20, f"198.51.100.{5 + n}", "dave@example.com")
    log.dovecot_login(10 * MINUTE, "198.51.100.77", "carol@example.com")
    analysis = analyze(log.events)
    compromise = only_compromise(analysis)
    assert not compromise.by_others
    assert "from this client's network 198.51.100.0/24" in compromise.reason
    assert recommendation(analysis, "198.51.100.77") == "ban"
    assert daemon_bans(log, "198.51.100.77")


def test_a_pool_that_stands_by_other_peoples_typos_does_not_make_a_login_certain() -> None:
    # The /24 stands because two other users of the carrier mistyped their own names
    # once each; three tries on carol came from it (two and one), three from outside.
    # Carol then logs in from the pool: a question for her, as before.
    log = Log()
    tries = [
        ("198.51.100.5", "carol@example.com"),
        ("198.51.100.5", "carol@example.com"),
        ("198.51.100.6", "carol@example.com"),
        ("198.51.100.7", "erin@example.com"),
        ("198.51.100.8", "frank@example.com"),
    ]
    for n, (ip, user) in enumerate(tries):
        log.dovecot_failure(n * MINUTE, ip, user)
    for n in range(3):
        log.dovecot_failure(400 + n * 10, f"203.0.113.{50 + n}", "carol@example.com")
    log.dovecot_login(10 * MINUTE, "198.51.100.77", "carol@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == ["198.51.100.0/24"]
    assert_asked(analysis, "198.51.100.77")
    assert not daemon_bans(log, "198.51.100.77")


def carol_campaign(log: Log, also: str | None = None) -> None:
    """Six addresses (five of them in 203.0.113.0/24) each fail once on carol (and, with
    ``also``, once on that account) within three minutes: a spraying campaign."""
    bots = ["198.51.100.10", *(f"203.0.113.{n}" for n in (20, 30, 40, 50, 60))]
    for n, ip in enumerate(bots):
        log.dovecot_failure(n * 30, ip, "carol@example.com")
        if also is not None:
            log.dovecot_failure(n * 30 + 5, ip, also)


def test_a_member_of_a_campaign_on_its_own_account_alone_is_asked_about() -> None:
    # A campaign that only ever tried carol, and one more address fails once on carol
    # and logs in as her: carol's phone hopping a pool's addresses looks the same. Ask.
    log = Log()
    carol_campaign(log)
    log.dovecot_failure(400, "192.0.2.77", "carol@example.com")
    log.dovecot_login(430, "192.0.2.77", "carol@example.com")
    analysis = analyze(log.events)
    assert analysis.findings_of("spray")
    assert_asked(analysis, "192.0.2.77")
    # So too from the /24 most of the campaign came from: not certain by its network.
    log = Log()
    carol_campaign(log)
    log.dovecot_failure(400, "203.0.113.77", "carol@example.com")
    log.dovecot_login(430, "203.0.113.77", "carol@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == ["203.0.113.0/24"]
    assert_asked(analysis, "203.0.113.77")
    # A campaign on carol and dave, whose every address tried both, the login's too:
    # the campaign's bot got in.
    log = Log()
    carol_campaign(log, also="dave@example.com")
    log.dovecot_failure(400, "192.0.2.77", "carol@example.com")
    log.dovecot_failure(405, "192.0.2.77", "dave@example.com")
    log.dovecot_login(430, "192.0.2.77", "carol@example.com")
    analysis = analyze(log.events)
    assert not only_compromise(analysis).by_others
    assert recommendation(analysis, "192.0.2.77") == "ban"


def test_the_networks_guessing_before_the_login_is_said_in_chinese() -> None:
    log = Log()
    network_guessing(log, NET6)
    log.dovecot_login(6 * MINUTE, f"{NET6}99", "frank@example.com")
    log.dovecot_failure(7 * MINUTE, f"{NET6}99", "frank@example.com")
    log.dovecot_failure(8 * MINUTE, "198.51.100.7", "frank@example.com")
    log.dovecot_login(9 * MINUTE, "2001:db8:9:9::98", "frank@example.com")
    first, second = analyze(log.events).compromised
    activate("zh_CN")
    try:
        network = "这个客户端所在网段 2001:db8:9:9::/64 对这个账户的 8 次登录失败"
        assert network in reason(first.reason)
        assert (
            "对这个账户的 10 次登录失败（9 次来自这个客户端所在网段 2001:db8:9:9::/64，1 次来自"
            "其他客户端）" in reason(second.reason)
        )
    finally:
        activate("en")


def campaign(log: Log, bots: list[str]) -> None:
    """Each bot tries alice, then bob seven minutes later; a bot every half hour."""
    for n, ip in enumerate(bots):
        log.sasl_failure(n * 30 * MINUTE, ip, "alice@example.com")
        log.sasl_failure(n * 30 * MINUTE + 7 * MINUTE, ip, "bob@example.com")


def test_a_campaign_bot_that_tried_the_campaigns_accounts_and_logs_in_got_in() -> None:
    bots = [f"2001:db8:b{n:03x}::1" for n in range(12)]
    log = Log()
    campaign(log, bots)
    log.queued_login(7 * HOUR, bots[5], "bob@example.com")
    analysis = analyze(log.events)
    compromise = only_compromise(analysis)
    assert compromise.ip == bots[5] and not compromise.by_others
    assert "Ask the account's owner first" not in " ".join(compromise.advice)
    assert {recommendation(analysis, ip) for ip in bots} == {"ban"}
    assert daemon_bans(log, bots[5])


def test_colleagues_behind_a_campaign_members_address_are_still_asked() -> None:
    # An office's address joined the campaign through a typo on alice; a colleague
    # mistyped carol, an account the campaign never tried; then alice logs in. A few
    # tries in all, only one of them on the campaign's list: ask alice, as before.
    bots = [f"2001:db8:b{n:03x}::1" for n in range(12)]
    log = Log()
    campaign(log, bots)
    office = "198.51.100.20"
    log.dovecot_failure(6 * HOUR, office, "alice@example.com")
    log.dovecot_failure(6 * HOUR + 40, office, "carol@example.com")
    log.dovecot_login(6 * HOUR + MINUTE, office, "alice@example.com")
    analysis = analyze(log.events)
    compromise = only_compromise(analysis)
    assert compromise.ip == office and compromise.by_others
    assert recommendation(analysis, office) == "watch"
    # The bot of the campaign that tried both of its accounts and logs in is no colleague.
    log.queued_login(7 * HOUR, bots[5], "bob@example.com")
    analysis = analyze(log.events)
    bot = [c for c in analysis.compromised if c.ip == bots[5]]
    assert len(bot) == 1 and not bot[0].by_others
    assert recommendation(analysis, office) == "watch"


def slow_network(
    log: Log, users: tuple[str, ...] = ("frank@example.com", "grace@example.com")
) -> None:
    """Eight addresses of one /64 fail once each, a guess an hour, on frank and grace in
    turn: a slow brute force by the network (8 within a day), flagged for a ban."""
    for n in range(8):
        log.dovecot_failure(n * HOUR, f"{NET6}a{n + 1}", users[n % len(users)])


def daemon_banned(log: Log) -> set[str]:
    """The addresses the daemon bans, fed the log line by line."""
    detector = Detector(keep_history=False)
    found = [d for e in log.events for d in detector.feed(e)]
    return {d.ip for d in found if d.decision() is not None}


def test_a_login_from_a_slowly_guessing_64_is_the_attackers_break_in() -> None:
    # Four of the eight guesses were on frank, hours before; then frank logs in from
    # another address of the /64, an hour after its last guess: the attacker got in.
    log = Log()
    slow_network(log)
    log.dovecot_login(8 * HOUR, f"{NET6}c1", "frank@example.com")
    analysis = analyze(log.events)
    assert [f.subject for f in analysis.findings_of("network")] == [f"{NET6}/64"]
    compromise = only_compromise(analysis)
    assert compromise.ip == f"{NET6}c1" and not compromise.by_others
    assert f"4 failed logins on this account from this client's network {NET6}/64" in (
        compromise.reason
    )
    assert "Ask the account's owner first" not in " ".join(compromise.advice)
    assert recommendation(analysis, f"{NET6}c1") == "ban"
    assert recommendation(analysis, f"{NET6}a1") == "ban"  # the network stays banned
    # The daemon bans the login's address, and the /64's guessing after the login is
    # still judged: six more addresses of it guessing within 40 seconds are banned.
    for n in range(6):
        log.dovecot_failure(8 * HOUR + MINUTE + n * 8, f"{NET6}d{n + 1}", "grace@example.com")
    banned = daemon_banned(log)
    assert f"{NET6}c1" in banned
    assert {f"{NET6}d{n + 1}" for n in range(6)} <= banned
    assert recommendation(analyze(log.events), f"{NET6}d6") == "ban"


def quick_network(log: Log, start: float = 0) -> None:
    """Four addresses of the /64 within 15 minutes (frank, grace, frank, grace), then a
    login as frank from another one of it 20 minutes later."""
    for n in range(4):
        user = "grace@example.com" if n % 2 else "frank@example.com"
        log.dovecot_failure(start + n * 5 * MINUTE, f"{NET6}a{n + 1}", user)
    log.dovecot_login(start + 35 * MINUTE, f"{NET6}c1", "frank@example.com")


def test_a_login_after_a_64_guessed_within_the_network_window_is_a_break_in() -> None:
    # Two guesses on frank, too few for a burst on the account, but its network's
    # guessing got in.
    log = Log()
    quick_network(log)
    analysis = analyze(log.events)
    compromise = only_compromise(analysis)
    assert compromise.ip == f"{NET6}c1" and not compromise.by_others
    assert f"from this client's network {NET6}/64 within 1h" in compromise.reason
    assert recommendation(analysis, f"{NET6}c1") == "ban"
    assert recommendation(analysis, f"{NET6}a2") == "ban"
    assert f"{NET6}c1" in daemon_banned(log)
    # Frank had logged in from the /64 before its addresses failed: his household's, and
    # his next login from it is his, as before.
    log = Log()
    log.dovecot_login(0, f"{NET6}c0", "frank@example.com")
    quick_network(log, start=HOUR)
    assert not analyze(log.events).compromised
