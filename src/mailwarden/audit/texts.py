"""Every sentence the audit prints, in English and Simplified Chinese, as data.

The explain stage uses gettext catalogs; the audit keeps its texts here, beside the
check ids they belong to, so that a new check cannot ship without both languages
(tests/audit check that every registered id has a title and an explanation in both).
The Chinese text leaves only commands, parameter names and values in English.

Placeholders such as `{services}` are filled from `AuditFinding.details`; a variant
title or explanation `id#variant` is chosen when the finding's details name that
variant (the plain `id` one otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, NamedTuple

Lang = Literal["en", "zh_CN"]
LANGS: tuple[Lang, ...] = ("en", "zh_CN")


class Text(NamedTuple):
    en: str
    zh_CN: str

    def get(self, lang: Lang) -> str:
        return self.zh_CN if lang == "zh_CN" else self.en


TITLES: dict[str, Text] = {
    "postfix.auth_on_port_25": Text(
        "AUTH is offered on port 25",
        "25 端口提供了 AUTH",
    ),
    "postfix.submission_missing": Text(
        "No submission service (587/465) for users who log in",
        "没有供用户登录的提交服务（587/465）",
    ),
    "postfix.submission_missing#disabled": Text(
        "Submission switched off by master_service_disable: users have no port to log in on",
        "提交服务被 master_service_disable 关闭：用户没有可登录的端口",
    ),
    "postfix.submission_missing#loopback_465": Text(
        "Submission listens on loopback only: users elsewhere have no port to log in on",
        "提交服务只监听回环地址：其他地方的用户没有可登录的端口",
    ),
    "postfix.submission_missing#loopback_587": Text(
        "Submission listens on loopback only: users elsewhere have no port to log in on",
        "提交服务只监听回环地址：其他地方的用户没有可登录的端口",
    ),
    "postfix.submission_missing#loopback_both": Text(
        "Submission listens on loopback only: users elsewhere have no port to log in on",
        "提交服务只监听回环地址：其他地方的用户没有可登录的端口",
    ),
    "postfix.cleartext_auth": Text(
        "Passwords can be sent without TLS",
        "密码可以不经 TLS 发送",
    ),
    "postfix.submission_tls_not_required": Text(
        "Submission does not require TLS",
        "提交端口没有强制 TLS",
    ),
    "postfix.submission_tls_auth_only": Text(
        "Submission relies on the TLS requirement alone to protect AUTH",
        "提交端口仅依靠强制 TLS 来保护 AUTH",
    ),
    "postfix.submissions_no_wrappermode": Text(
        "Port 465 without implicit TLS",
        "465 端口没有隐式 TLS",
    ),
    "postfix.refused_boolean": Text(
        "{parameter} in main.cf is neither yes nor no: Postfix stops at start",
        "main.cf 中的 {parameter} 既不是 yes 也不是 no：Postfix 启动时会退出",
    ),
    "postfix.refused_boolean#service": Text(
        "{parameter} on {services} is neither yes nor no: the service stops at start",
        "{services} 上的 {parameter} 既不是 yes 也不是 no：该服务启动时会退出",
    ),
    "postfix.refused_boolean#service_overruled": Text(
        "{parameter} on {services} is neither yes nor no: the service stops at start",
        "{services} 上的 {parameter} 既不是 yes 也不是 no：该服务启动时会退出",
    ),
    "postfix.port25_tls_required": Text(
        "Port 25 requires TLS: mail from servers without it is refused",
        "25 端口强制 TLS：不支持 TLS 的服务器发来的邮件会被拒收",
    ),
    "postfix.port25_tls_required#wrapper": Text(
        "Port 25 speaks TLS from the first byte: servers that deliver mail cannot connect",
        "25 端口从第一个字节起就使用 TLS：投递邮件的服务器无法连接",
    ),
    "postfix.port25_tls_required#auth": Text(
        "Port 25 requires TLS: mail from servers without it is refused",
        "25 端口强制 TLS：不支持 TLS 的服务器发来的邮件会被拒收",
    ),
    "postfix.port25_tls_required#wrapper_auth": Text(
        "Port 25 speaks TLS from the first byte: servers that deliver mail cannot connect",
        "25 端口从第一个字节起就使用 TLS：投递邮件的服务器无法连接",
    ),
    "postfix.submission_auth_disabled": Text(
        "Submission service without AUTH",
        "提交服务没有开启 AUTH",
    ),
    "postfix.submission_no_login": Text(
        "Submission service that offers no password login: no plaintext mechanism even after TLS",
        "提交服务不提供密码登录：即使在 TLS 之后也不提供明文认证机制",
    ),
    "postfix.submission_no_login#no_tls": Text(
        "Submission service that offers no password login: no TLS, and noplaintext",
        "提交服务不提供密码登录：没有 TLS，且设置了 noplaintext",
    ),
    "postfix.submission_no_login#after_tls_other_sasl": Text(
        "Submission service that refuses PLAIN and LOGIN even after TLS",
        "提交服务即使在 TLS 之后也拒绝 PLAIN 和 LOGIN",
    ),
    "postfix.submission_no_login#no_tls_other_sasl": Text(
        "Submission service that refuses PLAIN and LOGIN: no TLS, and noplaintext",
        "提交服务拒绝 PLAIN 和 LOGIN：没有 TLS，且设置了 noplaintext",
    ),
    "postfix.tls_loglevel_credentials": Text(
        "TLS log level {level} where users log in: passwords go into the log",
        "用户登录的服务上 TLS 日志级别为 {level}：密码会被写入日志",
    ),
    "postfix.tls_loglevel_verbose": Text(
        "TLS log level 2: handshake chatter in the log",
        "TLS 日志级别 2：日志中充满握手细节",
    ),
    "postfix.tls_loglevel_verbose#handshake_dump": Text(
        "TLS log level 3: every handshake dumped in the log",
        "TLS 日志级别 3：每次握手都被转储到日志中",
    ),
    "postfix.tls_loglevel_credentials#no_auth": Text(
        "TLS log level {level}: sessions dumped in the log (no AUTH offered there)",
        "TLS 日志级别 {level}：会话被转储到日志中（该服务不提供 AUTH）",
    ),
    "postfix.invalid_number": Text(
        "{parameter} is not a number Postfix can read",
        "{parameter} 不是 Postfix 能读取的数字",
    ),
    "postfix.client_tls_loglevel_credentials": Text(
        "{parameter} {level}: the relay password goes into the log",
        "{parameter} 为 {level}：中继密码会被写入日志",
    ),
    "postfix.debug_peer_list": Text(
        "debug_peer_list logs whole sessions, passwords included",
        "debug_peer_list 会记录完整会话，包括密码",
    ),
    "postfix.smtpd_verbose": Text(
        "smtpd -v logs whole sessions, passwords included",
        "smtpd -v 会记录完整会话，包括密码",
    ),
    "postfix.tls_old_protocols": Text(
        "Broken protocols allowed: {protocols}",
        "允许已被攻破的协议：{protocols}",
    ),
    "postfix.submission_old_tls": Text(
        "Deprecated TLS versions allowed for logins: {protocols}",
        "登录时允许已弃用的 TLS 版本：{protocols}",
    ),
    "postfix.weak_ciphers": Text(
        "Weak ciphers allowed: {classes}",
        "允许弱加密套件：{classes}",
    ),
    "postfix.weak_ciphers#library_unknown": Text(
        "RC4 allowed if Postfix is linked with OpenSSL before 1.1.0",
        "若 Postfix 链接的是 1.1.0 之前的 OpenSSL，则允许 RC4",
    ),
    "postfix.anonymous_ciphers": Text(
        "Anonymous ciphers allowed where users log in",
        "用户登录的服务允许匿名加密套件",
    ),
    "postfix.no_auth_rate_limit": Text(
        "No limit on AUTH attempts per client",
        "没有限制每个客户端的 AUTH 尝试次数",
    ),
    "postfix.no_auth_rate_limit#time_unit": Text(
        "AUTH rate limit counted per {unit}: {per_minute} attempts a minute per client",
        "AUTH 速率限制按 {unit} 计数：每个客户端每分钟可尝试 {per_minute} 次",
    ),
    "postfix.no_auth_rate_limit#exempt_ipv4": Text(
        "No limit on AUTH attempts for clients that connect over IPv4",
        "通过 IPv4 连接的客户端的 AUTH 尝试次数不受限制",
    ),
    "postfix.no_auth_rate_limit#exempt_ipv6": Text(
        "No limit on AUTH attempts for clients that connect over IPv6",
        "通过 IPv6 连接的客户端的 AUTH 尝试次数不受限制",
    ),
    "postfix.anvil_missing": Text(
        "The AUTH rate limit is not enforced: master.cf has no anvil service",
        "AUTH 速率限制没有生效：master.cf 中没有 anvil 服务",
    ),
    "postfix.anvil_missing#disabled": Text(
        "The AUTH rate limit is not enforced: master_service_disable switches anvil off",
        "AUTH 速率限制没有生效：master_service_disable 关闭了 anvil 服务",
    ),
    "postfix.no_auth_rate_limit#per_minute": Text(
        "AUTH rate limit of {limit} a minute per client: too high to slow guessing down",
        "AUTH 速率限制为每个客户端每分钟 {limit} 次：太高，减慢不了猜测",
    ),
    "postfix.no_auth_rate_limit#time_unit_long": Text(
        "AUTH rate limit counted per {unit}: {per_minute} attempts a minute per client",
        "AUTH 速率限制按 {unit} 计数：每个客户端每分钟可尝试 {per_minute} 次",
    ),
    "postfix.anonymous_sasl": Text(
        "Anonymous SASL login is not refused",
        "没有拒绝匿名 SASL 登录",
    ),
    "postfix.soft_bounce": Text(
        "soft_bounce = yes turns every rejection into 'try again later'",
        "soft_bounce = yes 把每次拒绝都变成了“稍后再试”",
    ),
    "postfix.soft_bounce#reject_code": Text(
        "{parameter} = {value} turns every unknown recipient into 'try again later'",
        "{parameter} = {value} 把每个未知收件人都变成了“稍后再试”",
    ),
    "postfix.broken_sasl_auth_clients": Text(
        "Legacy AUTH= announcement for 1990s clients",
        "为上世纪九十年代客户端保留的旧式 AUTH= 通告",
    ),
    "postfix.eol_version": Text(
        "Postfix {version} no longer gets upstream security fixes",
        "Postfix {version} 已不再获得上游安全修复",
    ),
    "postfix.eol_version#unpatched": Text(
        "Postfix {version} has not had security fixes from anyone for years",
        "Postfix {version} 多年来已没有任何人为其提供安全修复",
    ),
    "dovecot.cleartext_auth": Text(
        "Dovecot accepts passwords without TLS",
        "Dovecot 接受不经 TLS 的密码",
    ),
    "dovecot.cleartext_auth#renamed_23": Text(
        "A Dovecot 2.4 setting asks for cleartext passwords in a 2.3 configuration",
        "2.3 版配置中有一个要求明文密码的 Dovecot 2.4 设置",
    ),
    "dovecot.cleartext_auth#renamed_24": Text(
        "A Dovecot 2.3 setting asks for cleartext passwords in a 2.4 configuration",
        "2.4 版配置中有一个要求明文密码的 Dovecot 2.3 设置",
    ),
    "dovecot.auth_setting_in_filter": Text(
        "Dovecot refuses its configuration: an auth setting inside a local/remote section",
        "Dovecot 会拒绝其配置：local/remote 段中有认证设置",
    ),
    "dovecot.setting_other_version": Text(
        "{written} is a setting of another Dovecot version: Dovecot refuses this configuration",
        "{written} 是另一个 Dovecot 版本的设置：Dovecot 会拒绝此配置",
    ),
    "dovecot.setting_other_version#in_23": Text(
        "{written} is a Dovecot 2.4 setting: Dovecot 2.3 refuses this configuration "
        "(2.3 calls it {name})",
        "{written} 是 Dovecot 2.4 的设置：Dovecot 2.3 会拒绝此配置（2.3 中叫 {name}）",
    ),
    "dovecot.setting_other_version#in_24": Text(
        "{written} is a Dovecot 2.3 setting: Dovecot 2.4 refuses this configuration "
        "(2.4 calls it {name})",
        "{written} 是 Dovecot 2.3 的设置：Dovecot 2.4 会拒绝此配置（2.4 中叫 {name}）",
    ),
    "dovecot.ssl_disabled": Text(
        "Dovecot has TLS turned off",
        "Dovecot 关闭了 TLS",
    ),
    "dovecot.auth_verbose_passwords": Text(
        "Dovecot logs the passwords of failed logins",
        "Dovecot 会记录登录失败时的密码",
    ),
    "dovecot.auth_verbose_passwords#plain_cut": Text(
        "Dovecot logs the first {length} characters of the passwords of failed logins",
        "Dovecot 会记录登录失败时密码的前 {length} 个字符",
    ),
    "dovecot.auth_verbose_passwords#sha1": Text(
        "Dovecot logs a SHA1 hash of the passwords of failed logins",
        "Dovecot 会记录登录失败时密码的 SHA1 哈希",
    ),
    "dovecot.auth_verbose_passwords#sha1_long": Text(
        "Dovecot logs the first {length} hex digits of a SHA1 hash of the passwords of "
        "failed logins",
        "Dovecot 会记录登录失败时密码的 SHA1 哈希的前 {length} 位十六进制数字",
    ),
    "dovecot.auth_verbose_passwords#sha1_cut": Text(
        "Dovecot logs the first {length} hex digits of a SHA1 hash of the passwords of "
        "failed logins",
        "Dovecot 会记录登录失败时密码的 SHA1 哈希的前 {length} 位十六进制数字",
    ),
    "dovecot.auth_verbose_passwords#invalid": Text(
        "auth_verbose_passwords has a value Dovecot refuses",
        "auth_verbose_passwords 的值会被 Dovecot 拒绝",
    ),
    "dovecot.auth_debug_passwords": Text(
        "Dovecot logs every password in its debug output",
        "Dovecot 会在调试输出中记录所有密码",
    ),
    "dovecot.login_trusted_networks": Text(
        "Dovecot trusts public networks as proxies: {networks}",
        "Dovecot 把公网地址段当作可信代理：{networks}",
    ),
    "dovecot.ssl_old_protocols": Text(
        "Old protocols allowed: {protocols}",
        "允许旧协议：{protocols}",
    ),
    "dovecot.weak_ciphers": Text(
        "Weak ciphers allowed: {classes}",
        "允许弱加密套件：{classes}",
    ),
    "dovecot.weak_ciphers#library_unknown": Text(
        "RC4 allowed if Dovecot is linked with OpenSSL before 1.1.0",
        "若 Dovecot 链接的是 1.1.0 之前的 OpenSSL，则允许 RC4",
    ),
    "dovecot.weak_ciphers#library_unknown_anonymous": Text(
        "Anonymous ciphers allowed, and RC4 if Dovecot is linked with OpenSSL before 1.1.0",
        "允许匿名加密套件；若 Dovecot 链接的是 1.1.0 之前的 OpenSSL，还允许 RC4",
    ),
    "dovecot.auth_failure_delay": Text(
        "No delay after a wrong password",
        "密码错误后没有延迟",
    ),
    "dovecot.anonymous_mechanism": Text(
        "The ANONYMOUS mechanism is enabled",
        "启用了 ANONYMOUS 认证机制",
    ),
    "postfix.no_certificate": Text(
        "smtpd has no certificate: STARTTLS is never offered, AUTH only in cleartext",
        "smtpd 没有证书：从不提供 STARTTLS，AUTH 只能明文进行",
    ),
    "postfix.no_certificate#required": Text(
        "TLS is required, but smtpd has no certificate: no client gets through",
        "强制 TLS，但 smtpd 没有证书：任何客户端都无法通过",
    ),
    "postfix.no_certificate#auth_waits": Text(
        "AUTH waits for TLS, but smtpd has no certificate: nobody can log in",
        "AUTH 要等 TLS，但 smtpd 没有证书：没有人能登录",
    ),
    "dovecot.ssl_no_certificate": Text(
        "Dovecot has no TLS certificate: every TLS connection fails",
        "Dovecot 没有 TLS 证书：每个 TLS 连接都会失败",
    ),
    "dovecot.ssl_no_certificate#protocols": Text(
        "Dovecot has no TLS certificate for {protocols}: every TLS connection there fails",
        "Dovecot 没有供 {protocols} 使用的 TLS 证书：那里的每个 TLS 连接都会失败",
    ),
    "dovecot.ssl_no_certificate#emptied": Text(
        "Dovecot has no TLS certificate for {protocols}: an empty {unset} there takes the "
        "top-level one away",
        "Dovecot 没有供 {protocols} 使用的 TLS 证书：那里置空的 {unset} 取消了顶层的设置",
    ),
}

_DOVECOT_RC4_UNKNOWN = Text(
    "ssl_cipher_list allows {classes} suites: RC4 only through the MEDIUM or DEFAULT "
    "grade, which holds it if the OpenSSL library Dovecot is linked with is older than "
    "1.1.0 (or built with enable-weak-ssl-ciphers); 1.1.0 and later, such as the "
    "OpenSSL 3 of Debian 12, have no RC4 at all. A copied configuration does not show "
    "the library: audit the configuration on the server itself, or pass "
    "--openssl-version, to know. RC4 is prohibited in TLS (RFC 7465) and a password "
    "sent over it again and again can be recovered; anonymous suites authenticate "
    "nobody. Dovecot's default list excludes them all, whatever the library.",
    "ssl_cipher_list 允许 {classes} 套件：RC4 只经由 MEDIUM 或 DEFAULT 等级进入，而只有当 "
    "Dovecot 链接的 OpenSSL 库早于 1.1.0（或以 enable-weak-ssl-ciphers 编译）时，这些等级才"
    "包含 RC4；1.1.0 及以后的版本（例如 Debian 12 的 OpenSSL 3）根本没有 RC4。复制来的配置"
    "无法看出所用的库：要确定这一点，请在服务器本机上审计该配置，或使用 --openssl-version "
    "指定。RC4 在 TLS 中已被禁止（RFC 7465），通过它反复发送的密码可以被恢复；匿名套件不验证"
    "任何一方。无论使用哪个库，Dovecot 的默认列表都排除了上述所有套件。",
)
"""RC4 through a grade of a library that the configuration does not show (with or
without anonymous suites beside it)."""

EXPLANATIONS: dict[str, Text] = {
    "postfix.auth_on_port_25": Text(
        "Port 25 ({services}) is where other mail servers deliver, so it must stay open to "
        "the whole internet; offering AUTH there gives every password-guessing bot a login "
        "prompt. Your own users should log in on the submission port 587 (or 465), where "
        "TLS is required and AUTH attempts can be limited. The fix turns AUTH off for "
        "{services} (in {fixed_in}) and keeps it (or adds it) on submission only.",
        "25 端口（{services}）是其他邮件服务器投递邮件的端口，必须对整个互联网开放；在这里提供 "
        "AUTH，等于给每个猜密码的机器人一个登录入口。自己的用户应改用 587 提交端口（或 465）"
        "登录，那里强制 TLS，并且可以限制 AUTH 尝试次数。修复方法是为 {services} 关闭 AUTH"
        "（在 {fixed_in} 中），只在 submission 服务上保留（或新增）AUTH。",
    ),
    "postfix.auth_on_port_25#cleartext": Text(
        "Port 25 ({services}) is where other mail servers deliver, so it must stay open to "
        "the whole internet; offering AUTH there gives every password-guessing bot a login "
        "prompt. TLS is optional there and smtpd_tls_auth_only is off, so a client (or a "
        "man in the middle who strips STARTTLS) can also send the password in cleartext. "
        "Your own users should log in on the submission port 587 (or 465), where TLS is "
        "required and AUTH attempts can be limited. The fix turns AUTH off for {services} "
        "(in {fixed_in}) and keeps it (or adds it) on submission only.",
        "25 端口（{services}）是其他邮件服务器投递邮件的端口，必须对整个互联网开放；在这里提供 "
        "AUTH，等于给每个猜密码的机器人一个登录入口。而且那里的 TLS 是可选的，"
        "smtpd_tls_auth_only 也未开启，客户端（或剥离 STARTTLS 的中间人）还可以用明文发送密码。"
        "自己的用户应改用 587 提交端口（或 465）登录，那里强制 TLS，并且可以限制 AUTH 尝试"
        "次数。修复方法是为 {services} 关闭 AUTH（在 {fixed_in} 中），只在 submission 服务上"
        "保留（或新增）AUTH。",
    ),
    "postfix.port25_tls_required": Text(
        "{services} is the port other mail servers deliver to, and it requires TLS "
        "(smtpd_tls_security_level = encrypt). RFC 3207 (section 4) says a publicly "
        "referenced SMTP server must not require TLS: many servers that send mail have no "
        'TLS or fail to negotiate it, and their mail is refused with "530 Must issue a '
        'STARTTLS command first". The fix makes TLS optional there (may): STARTTLS is '
        "still offered to every server that can use it. Users who log in belong on 587 or "
        "465, where TLS is required.",
        "{services} 是其他邮件服务器投递邮件的端口，而它强制要求 TLS"
        "（smtpd_tls_security_level = encrypt）。RFC 3207（第 4 节）规定，公开的 SMTP 服务器"
        "不得强制要求 TLS：许多发信服务器没有 TLS 或无法协商成功，它们的邮件会以“530 Must "
        "issue a STARTTLS command first”被拒收。修复方法是在这里把 TLS 改为可选（may）："
        "所有能使用 STARTTLS 的服务器仍然可以使用它。需要登录的用户应使用强制 TLS 的 587 或 "
        "465 端口。",
    ),
    "postfix.port25_tls_required#wrapper": Text(
        "{services} is the port other mail servers deliver to, and it has "
        "smtpd_tls_wrappermode = yes: it speaks TLS from the first byte, as port 465 does, "
        "while servers that deliver mail start in plain text and issue STARTTLS (RFC "
        "3207); none of them can deliver here. The fix turns wrapper mode off there and "
        "offers STARTTLS (may).",
        "{services} 是其他邮件服务器投递邮件的端口，而它设置了 smtpd_tls_wrappermode = yes："
        "它像 465 端口一样从第一个字节起就使用 TLS，而投递邮件的服务器都先以明文连接、再发出 "
        "STARTTLS（RFC 3207），因此它们都无法在这里投递。修复方法是在这里关闭 wrapper 模式，"
        "并提供 STARTTLS（may）。",
    ),
    "postfix.port25_tls_required#auth": Text(
        "{services} is the port other mail servers deliver to, and it requires TLS "
        "(smtpd_tls_security_level = encrypt). RFC 3207 (section 4) says a publicly "
        "referenced SMTP server must not require TLS: many servers that send mail have no "
        'TLS or fail to negotiate it, and their mail is refused with "530 Must issue a '
        'STARTTLS command first". The fix makes TLS optional there (may): STARTTLS is '
        "still offered to every server that can use it. AUTH is offered there too, so the "
        "fix also sets smtpd_tls_auth_only = yes: with TLS optional, AUTH must still wait "
        "for it, or passwords would go in cleartext. Users who log in belong on 587 or "
        "465, where TLS is required.",
        "{services} 是其他邮件服务器投递邮件的端口，而它强制要求 TLS"
        "（smtpd_tls_security_level = encrypt）。RFC 3207（第 4 节）规定，公开的 SMTP 服务器"
        "不得强制要求 TLS：许多发信服务器没有 TLS 或无法协商成功，它们的邮件会以“530 Must "
        "issue a STARTTLS command first”被拒收。修复方法是在这里把 TLS 改为可选（may）："
        "所有能使用 STARTTLS 的服务器仍然可以使用它。这里还提供了 AUTH，所以修复同时设置 "
        "smtpd_tls_auth_only = yes：TLS 变为可选后，AUTH 仍须等到 TLS 建立之后，否则密码会以"
        "明文传输。需要登录的用户应使用强制 TLS 的 587 或 465 端口。",
    ),
    "postfix.port25_tls_required#wrapper_auth": Text(
        "{services} is the port other mail servers deliver to, and it has "
        "smtpd_tls_wrappermode = yes: it speaks TLS from the first byte, as port 465 does, "
        "while servers that deliver mail start in plain text and issue STARTTLS (RFC "
        "3207); none of them can deliver here. The fix turns wrapper mode off there and "
        "offers STARTTLS (may). AUTH is offered there too, so the fix also sets "
        "smtpd_tls_auth_only = yes: with TLS optional, AUTH must still wait for it, or "
        "passwords would go in cleartext.",
        "{services} 是其他邮件服务器投递邮件的端口，而它设置了 smtpd_tls_wrappermode = yes："
        "它像 465 端口一样从第一个字节起就使用 TLS，而投递邮件的服务器都先以明文连接、再发出 "
        "STARTTLS（RFC 3207），因此它们都无法在这里投递。修复方法是在这里关闭 wrapper 模式，"
        "并提供 STARTTLS（may）。这里还提供了 AUTH，所以修复同时设置 smtpd_tls_auth_only = "
        "yes：TLS 变为可选后，AUTH 仍须等到 TLS 建立之后，否则密码会以明文传输。",
    ),
    "postfix.submission_missing": Text(
        "AUTH is offered, but master.cf has neither a submission (587) service nor one on "
        "port 465 (submissions, smtps before Postfix 3.7), so users have to log in on port "
        "25 alongside the attackers. The fix "
        "adds the standard submission service: TLS required, AUTH only after TLS, and only "
        "authenticated clients may send.",
        "服务器提供了 AUTH，但 master.cf 中既没有 submission（587）服务，也没有 465 端口的服务"
        "（submissions，Postfix 3.7 之前叫 smtps），用户只能和攻击者一起在 25 端口登录。"
        "修复方法是添加标准的 submission 服务：强制 TLS，TLS 建立之后才允许 AUTH，"
        "并且只允许已认证的客户端发信。",
    ),
    "postfix.submission_missing#disabled": Text(
        "AUTH is offered, but master_service_disable in main.cf switches off {disabled}: "
        "the master process skips it, so users have no 587 or 465 port and have to log in "
        "on port 25 alongside the attackers, and cannot log in at all once AUTH is off "
        "there. The fix takes {disabled} out of master_service_disable (and sets what it "
        "lacks for logins: TLS required, AUTH only after TLS).",
        "服务器提供了 AUTH，但 main.cf 中的 master_service_disable 关闭了 {disabled}：master "
        "进程会跳过它，用户没有 587 或 465 端口可用，只能和攻击者一起在 25 端口登录，而 25 端口"
        "关闭 AUTH 之后就完全无法登录。修复方法是把 {disabled} 从 master_service_disable 中"
        "移除（并补上登录所需的设置：强制 TLS，TLS 建立之后才允许 AUTH）。",
    ),
    "postfix.submission_missing#loopback_465": Text(
        "AUTH is offered, but the submission service here ({loopback}) listens on loopback "
        "only, for a webmail on this machine: users elsewhere have to log in on port 25 "
        "alongside the attackers, and cannot log in at all once AUTH is off there. A "
        "listener for every address cannot be added on port 587 beside it (Postfix could "
        "not bind the port), and opening {loopback} to everyone would make the webmail "
        "follow the rules for remote users (TLS required). The fix therefore leaves "
        "{loopback} as it is and adds {new} on port 465 for everyone: TLS from the first "
        "byte (RFC 8314), AUTH, and only authenticated clients may send. Users set their "
        "mail client to port 465 with SSL/TLS.",
        "服务器提供了 AUTH，但这里的提交服务（{loopback}）只监听本机回环地址，供本机的网页邮件"
        "使用：其他地方的用户只能和攻击者一起在 25 端口登录，而 25 端口关闭 AUTH 之后就完全无法"
        "登录。无法在它旁边的 587 端口再添加一个监听所有地址的服务（Postfix 无法绑定该端口），"
        "而把 {loopback} 对所有人开放，又会让网页邮件也必须遵守远程用户的规则（强制 TLS）。因此"
        "修复方法保留 {loopback} 不变，在 465 端口为所有人添加 {new}：从第一个字节起就使用 TLS"
        "（RFC 8314），提供 AUTH，并且只允许已认证的客户端发信。用户需在邮件客户端中设置 465 "
        "端口和 SSL/TLS。",
    ),
    "postfix.submission_missing#loopback_587": Text(
        "AUTH is offered, but the submission service here ({loopback}) listens on loopback "
        "only, for a webmail on this machine: users elsewhere have to log in on port 25 "
        "alongside the attackers, and cannot log in at all once AUTH is off there. A "
        "listener for every address cannot be added on port 465 beside it (Postfix could "
        "not bind the port), and opening {loopback} to everyone would make the webmail "
        "follow the rules for remote users (TLS required). The fix therefore leaves "
        "{loopback} as it is and adds {new} on port 587 for everyone: TLS required, AUTH "
        "only after TLS, and only authenticated clients may send. Users set their mail "
        "client to port 587 with STARTTLS.",
        "服务器提供了 AUTH，但这里的提交服务（{loopback}）只监听本机回环地址，供本机的网页邮件"
        "使用：其他地方的用户只能和攻击者一起在 25 端口登录，而 25 端口关闭 AUTH 之后就完全无法"
        "登录。无法在它旁边的 465 端口再添加一个监听所有地址的服务（Postfix 无法绑定该端口），"
        "而把 {loopback} 对所有人开放，又会让网页邮件也必须遵守远程用户的规则（强制 TLS）。因此"
        "修复方法保留 {loopback} 不变，在 587 端口为所有人添加 {new}：强制 TLS，TLS 建立之后"
        "才允许 AUTH，并且只允许已认证的客户端发信。用户需在邮件客户端中设置 587 端口和 "
        "STARTTLS。",
    ),
    "postfix.submission_missing#loopback_both": Text(
        "AUTH is offered, but ports 587 and 465 are both held by services that listen on "
        "loopback only ({loopback}): users elsewhere have to log in on port 25 alongside "
        "the attackers, and cannot log in at all once AUTH is off there. No listener for "
        "every address can be added beside them (Postfix could not bind the port), so "
        "this has to be changed by hand.",
        "服务器提供了 AUTH，但 587 和 465 端口都被只监听本机回环地址的服务（{loopback}）占用："
        "其他地方的用户只能和攻击者一起在 25 端口登录，而 25 端口关闭 AUTH 之后就完全无法登录。"
        "无法在它们旁边再添加监听所有地址的服务（Postfix 无法绑定该端口），因此只能手工修改。",
    ),
    "postfix.cleartext_auth": Text(
        "On {services} AUTH is offered while TLS is optional and smtpd_tls_auth_only is off, "
        "so a client (or a man in the middle who strips STARTTLS) can send the password in "
        "cleartext. Require TLS on this service and allow AUTH only after it.",
        "{services} 提供 AUTH，但 TLS 是可选的，且 smtpd_tls_auth_only 未开启，因此客户端"
        "（或剥离 STARTTLS 的中间人）可以用明文发送密码。应在该服务上强制 TLS，并且只在 TLS "
        "建立之后允许 AUTH。",
    ),
    "postfix.submission_tls_not_required": Text(
        "On {services} TLS is optional (smtpd_tls_security_level is not encrypt). Passwords "
        "are protected because AUTH waits for TLS, but the mail and addresses of clients "
        "that skip STARTTLS still travel in cleartext. Port 587 is for your own users, whose "
        "clients all support TLS: require it.",
        "{services} 的 TLS 是可选的（smtpd_tls_security_level 不是 encrypt）。由于 AUTH 要等 "
        "TLS 建立后才提供，密码已受保护，但跳过 STARTTLS 的客户端发送的邮件和地址仍是明文。"
        "587 端口只供自己的用户使用，他们的客户端都支持 TLS：应强制使用。",
    ),
    "postfix.submission_tls_not_required#noplaintext": Text(
        "On {services} TLS is optional (smtpd_tls_security_level is not encrypt). Passwords "
        "are protected because smtpd_sasl_security_options has noplaintext: before STARTTLS "
        "no mechanism that sends the password in cleartext is offered. But the mail and "
        "addresses of clients that skip STARTTLS still travel in cleartext. Port 587 is for "
        "your own users, whose clients all support TLS: require it.",
        "{services} 的 TLS 是可选的（smtpd_tls_security_level 不是 encrypt）。由于 "
        "smtpd_sasl_security_options 含有 noplaintext，STARTTLS 之前不会提供以明文发送密码的"
        "认证机制，密码已受保护；但跳过 STARTTLS 的客户端发送的邮件和地址仍是明文。"
        "587 端口只供自己的用户使用，他们的客户端都支持 TLS：应强制使用。",
    ),
    "postfix.submission_tls_auth_only": Text(
        "On {services} TLS is required, so no password is accepted in cleartext today; "
        "without smtpd_tls_auth_only = yes that protection depends on the security level "
        "alone and is lost if it is ever relaxed. Set both, as the stock master.cf does.",
        "{services} 已强制 TLS，目前不会接受明文密码；但没有 smtpd_tls_auth_only = yes 时，"
        "这种保护只依赖安全级别，一旦级别被放宽就会失去。应像默认 master.cf 那样同时设置两者。",
    ),
    "postfix.submissions_no_wrappermode": Text(
        "{services} listens on port 465, where clients start TLS immediately (RFC 8314), "
        "but smtpd_tls_wrappermode is not yes, so Postfix speaks plain SMTP there: clients "
        "fail, and any that fall back send their passwords in cleartext. Turn "
        "smtpd_tls_wrappermode on for this service.",
        "{services} 监听 465 端口，客户端在这里会立即开始 TLS（RFC 8314），但 "
        "smtpd_tls_wrappermode 不是 yes，Postfix 在这里使用明文 SMTP：客户端连接会失败，"
        "而退回明文的客户端会以明文发送密码。应为该服务开启 smtpd_tls_wrappermode。",
    ),
    "postfix.submission_no_login": Text(
        "On {services} smtpd offers no mechanism that sends the password in cleartext "
        "(PLAIN, LOGIN) even after STARTTLS: smtpd_sasl_tls_security_options, which is "
        "$smtpd_sasl_security_options unless set, has noplaintext. With Dovecot's default "
        "mechanisms (auth_mechanisms = plain) no AUTH is offered at all, so your users "
        "cannot log in there. Set smtpd_sasl_tls_security_options without noplaintext: "
        "the password then travels only inside TLS.",
        "{services} 上即使在 STARTTLS 之后，smtpd 也不提供以明文发送密码的认证机制（PLAIN、"
        "LOGIN）：smtpd_sasl_tls_security_options（未设置时等于 $smtpd_sasl_security_options）"
        "含有 noplaintext。使用 Dovecot 的默认机制（auth_mechanisms = plain）时，根本不会提供 "
        "AUTH，用户无法在这里登录。应把 smtpd_sasl_tls_security_options 设置为不含 "
        "noplaintext 的值：密码随后只在 TLS 之内传送。",
    ),
    "postfix.submission_no_login#no_tls": Text(
        "On {services} TLS is off (smtpd_tls_security_level = none) and "
        "smtpd_sasl_security_options has noplaintext, so no mechanism that sends the "
        "password in cleartext (PLAIN, LOGIN) is ever offered there. With Dovecot's default "
        "mechanisms (auth_mechanisms = plain) no AUTH is offered at all: your users cannot "
        "log in on this service. Require TLS on it, and offer those mechanisms after TLS.",
        "{services} 上没有 TLS（smtpd_tls_security_level = none），且 "
        "smtpd_sasl_security_options 含有 noplaintext，因此这里从不提供以明文发送密码的认证"
        "机制（PLAIN、LOGIN）。使用 Dovecot 的默认机制（auth_mechanisms = plain）时，根本不会"
        "提供 AUTH：用户无法在该服务上登录。应在该服务上强制 TLS，并在 TLS 之后提供这些机制。",
    ),
    "postfix.submission_no_login#after_tls_other_sasl": Text(
        "On {services} smtpd offers no mechanism that sends the password in cleartext "
        "(PLAIN, LOGIN) even after STARTTLS: smtpd_sasl_tls_security_options, which is "
        "$smtpd_sasl_security_options unless set, has noplaintext. With smtpd_sasl_type = "
        "{sasl_type} the other mechanisms come from that SASL library's own configuration "
        "(Cyrus: mech_list in smtpd.conf, /etc/postfix/sasl/smtpd.conf on Debian), which "
        "the audit does not read: when mech_list is PLAIN LOGIN (the usual saslauthd "
        "set-up: saslauthd checks passwords in cleartext), no AUTH is offered and your "
        "users cannot log in there; without mech_list Cyrus offers every mechanism "
        "plugin installed, and those that need the password stored fail with saslauthd. "
        "Clients that use only PLAIN or LOGIN cannot log in in any case. Set "
        "smtpd_sasl_tls_security_options without noplaintext: the password then travels "
        "only inside TLS.",
        "{services} 上即使在 STARTTLS 之后，smtpd 也不提供以明文发送密码的认证机制（PLAIN、"
        "LOGIN）：smtpd_sasl_tls_security_options（未设置时等于 $smtpd_sasl_security_options）"
        "含有 noplaintext。在 smtpd_sasl_type = {sasl_type} 下，其他机制由该 SASL 库自己的配置"
        "决定（Cyrus：smtpd.conf 中的 mech_list，Debian 上为 /etc/postfix/sasl/smtpd.conf），"
        "审计不读取该配置：当 mech_list 为 PLAIN LOGIN 时（使用 saslauthd 的常见配置："
        "saslauthd 以明文核对密码），根本不会提供 AUTH，用户无法在这里登录；没有 mech_list "
        "时，Cyrus 会提供所有已安装的机制插件，其中需要存储密码的机制在 saslauthd 下会失败。"
        "只使用 PLAIN 或 LOGIN 的客户端无论如何都无法登录。应把 "
        "smtpd_sasl_tls_security_options 设置为不含 noplaintext 的值：密码随后只在 TLS "
        "之内传送。",
    ),
    "postfix.submission_no_login#no_tls_other_sasl": Text(
        "On {services} TLS is off (smtpd_tls_security_level = none) and "
        "smtpd_sasl_security_options has noplaintext, so no mechanism that sends the "
        "password in cleartext (PLAIN, LOGIN) is ever offered there. With smtpd_sasl_type "
        "= {sasl_type} the other mechanisms come from that SASL library's own "
        "configuration (Cyrus: mech_list in smtpd.conf, /etc/postfix/sasl/smtpd.conf on "
        "Debian), which the audit does not read: when mech_list is PLAIN LOGIN (the usual "
        "saslauthd set-up: saslauthd checks passwords in cleartext), no AUTH is offered "
        "and your users cannot log in on this service; without mech_list Cyrus offers "
        "every mechanism plugin installed, and those that need the password stored fail "
        "with saslauthd. Clients that use only PLAIN or LOGIN cannot log in in any case. "
        "Require TLS on it, and offer those mechanisms after TLS.",
        "{services} 上没有 TLS（smtpd_tls_security_level = none），且 "
        "smtpd_sasl_security_options 含有 noplaintext，因此这里从不提供以明文发送密码的认证"
        "机制（PLAIN、LOGIN）。在 smtpd_sasl_type = {sasl_type} 下，其他机制由该 SASL 库自己的"
        "配置决定（Cyrus：smtpd.conf 中的 mech_list，Debian 上为 "
        "/etc/postfix/sasl/smtpd.conf），审计不读取该配置：当 mech_list 为 PLAIN LOGIN 时"
        "（使用 saslauthd 的常见配置：saslauthd 以明文核对密码），根本不会提供 AUTH，"
        "用户无法在该服务上登录；没有 mech_list 时，Cyrus 会提供所有已安装的机制插件，"
        "其中需要存储密码的机制在 saslauthd 下会失败。只使用 PLAIN 或 LOGIN "
        "的客户端无论如何都无法登录。应在该服务上强制 TLS，并在 TLS 之后提供这些机制。",
    ),
    "postfix.refused_boolean": Text(
        "main.cf sets {parameter} to a value that is neither yes nor no. postconf takes "
        'it, but every Postfix program that reads it stops at start ("fatal: bad boolean '
        'configuration"), on every service that does not set {parameter} itself with -o. '
        "The audit read it as no, and so do its other findings; the fix writes no in "
        "main.cf, which keeps them true. Setting the parameter on one service does not end "
        "it. If you meant yes, write yes instead and audit again.",
        "main.cf 将 {parameter} 设为既不是 yes 也不是 no 的值。postconf 会接受它，但读取它的"
        "每个 Postfix 程序启动时都会因布尔值无效而退出，凡是没有用 "
        "-o 自行设置 {parameter} 的服务都是如此。审计按 no 处理，其他审计结果也以此为准；修复"
        "方法在 main.cf 中写入 no，使这些结果保持成立。只在某个服务上设置该参数并不能解决问题。"
        "如果原意是 yes，请改写为 yes 并重新审计。",
    ),
    "postfix.refused_boolean#service": Text(
        "master.cf sets {parameter} with -o on {services} to a value that is neither yes "
        "nor no. postconf takes it, but the service's program stops at start (\"fatal: bad "
        'boolean configuration"), so the service does not run. The audit read it as no, '
        "and so do its other findings; the fix writes no in that -o, which keeps them "
        "true. If you meant yes, write yes instead and audit again.",
        "master.cf 在 {services} 上用 -o 将 {parameter} 设为既不是 yes 也不是 no 的值。"
        "postconf 会接受它，但该服务的程序启动时会因布尔值无效而退出，因此该服务无法运行。"
        "审计按 no 处理，其他审计结果也以此为准；修复方法在该 -o 中写入 no，使这些结果保持"
        "成立。如果原意是 yes，请改写为 yes 并重新审计。",
    ),
    "postfix.refused_boolean#service_overruled": Text(
        "master.cf sets {parameter} with -o on {services} to a value that is neither yes "
        "nor no. postconf takes it, but the service's program stops at start (\"fatal: bad "
        'boolean configuration"), so the service does not run. The audit read it as no; '
        "{by} in this report writes {value} in that -o, and so does this fix: the one "
        "command ends both findings and brings the service up.",
        "master.cf 在 {services} 上用 -o 将 {parameter} 设为既不是 yes 也不是 no 的值。"
        "postconf 会接受它，但该服务的程序启动时会因布尔值无效而退出，因此该服务无法运行。"
        "审计按 no 处理；本报告中的 {by} 在该 -o 中写入 {value}，此修复也是如此：这一条命令"
        "同时解决两个问题，并让该服务重新运行。",
    ),
    "postfix.submission_auth_disabled": Text(
        "{services} is a submission port but does not offer AUTH (smtpd_sasl_auth_enable is "
        "not yes), so your users cannot log in there and end up on port 25. Enable AUTH on "
        "this service only.",
        "{services} 是提交端口，但没有提供 AUTH（smtpd_sasl_auth_enable 不是 yes），用户无法"
        "在这里登录，最终又回到 25 端口。应只在该服务上开启 AUTH。",
    ),
    "postfix.tls_loglevel_credentials": Text(
        "smtpd_tls_loglevel = {level} on {services}, where AUTH is offered: from level 4 "
        "on, smtpd logs the first 40 characters of every line a client sends after the "
        "TLS handshake, including the base64 of AUTH PLAIN user names and passwords, of "
        "legitimate users as well as attackers. Anyone who can read the mail log can then "
        "log in as your users: use level 1, and delete or protect the logs already written.",
        "{services} 上 smtpd_tls_loglevel = {level}，而该服务提供 AUTH：从级别 4 起，smtpd "
        "会记录 TLS 握手之后客户端发送的每一行的前 40 个字符，其中包括 AUTH PLAIN 用户名和密码"
        "的 base64，合法用户和攻击者的都会被记录。任何能读取邮件日志的人都能冒充你的用户登录："
        "应使用级别 1，并删除或保护已写入的日志。",
    ),
    "postfix.invalid_number": Text(
        "{parameter} = {value} on {services} is not a number Postfix can read: it has more "
        "digits than any setting holds. Depending on the version, Postfix refuses to start "
        "the service or does not use the value as written, so what it does cannot be told "
        "from the file. Set {parameter} to {fixed}.",
        "{services} 上 {parameter} = {value} 不是 Postfix 能读取的数字：它的位数超过任何设置"
        "所能容纳的范围。视版本而定，Postfix 会拒绝启动该服务，或不按所写的值工作，因此无法"
        "从文件判断它的实际行为。应将 {parameter} 设为 {fixed}。",
    ),
    "postfix.invalid_number#not_a_number": Text(
        "{parameter} = {value} on {services} is not a number of zero or more, which this "
        "setting must be: smtpd stops with a fatal error when it reads it, so the service "
        "takes no mail at all, and no limit is enforced. Set {parameter} to {fixed}.",
        "{services} 上 {parameter} = {value} 不是该设置所要求的零或正整数：smtpd 读到它时会因"
        "致命错误而退出，该服务因此完全无法收信，也不会执行任何限制。应将 {parameter} 设为 "
        "{fixed}。",
    ),
    "postfix.tls_loglevel_verbose": Text(
        "smtpd_tls_loglevel = 2 on {services} logs every step of every TLS handshake. It "
        "leaks no passwords, but it buries the lines that matter and is one step from the "
        "levels that do. Use 1: one summary line per connection.",
        "{services} 上 smtpd_tls_loglevel = 2 会记录每次 TLS 握手的每一步。它不会泄露密码，"
        "但会淹没真正重要的日志行，而且离会泄露密码的级别只差一步。应使用 1：每个连接一行摘要。",
    ),
    "postfix.tls_loglevel_verbose#handshake_dump": Text(
        "smtpd_tls_loglevel = 3 on {services} dumps every TLS handshake, packet by packet, "
        "into the log. The handshake carries no password (level 4 would log what clients "
        "send after it, AUTH included, where AUTH is offered), but the dumps bury the lines "
        "that matter. Use 1: one summary line per connection.",
        "{services} 上 smtpd_tls_loglevel = 3 会把每次 TLS 握手逐个数据包地转储到日志中。"
        "握手中没有密码（级别 4 才会记录握手之后客户端发送的内容，在提供 AUTH 的服务上包括 "
        "AUTH），但这些转储会淹没真正重要的日志行。应使用 1：每个连接一行摘要。",
    ),
    "postfix.tls_loglevel_credentials#no_auth": Text(
        "smtpd_tls_loglevel = {level} on {services} logs the first 40 characters of every "
        "line a client sends after the TLS handshake: sender and recipient addresses and "
        "the start of every message line. No AUTH is offered there, so no password is "
        "logged, but it would be the moment AUTH is turned on, and the dumps bury the "
        "lines that matter. Use 1: one summary line per connection.",
        "{services} 上 smtpd_tls_loglevel = {level} 会记录 TLS 握手之后客户端发送的每一行的"
        "前 40 个字符：发件人和收件人地址，以及每一行邮件内容的开头。该服务不提供 AUTH，因此"
        "不会记录密码，但一旦开启 AUTH 就会记录，而且这些转储会淹没真正重要的日志行。应使用 "
        "1：每个连接一行摘要。",
    ),
    "postfix.client_tls_loglevel_credentials": Text(
        "{parameter} = {level} for {services}: at level 4 the Postfix client logs a dump "
        "of the whole session after STARTTLS, including its own AUTH to the relay host, "
        "the base64 of the user name and password from {maps}. Anyone "
        "who can read the mail log can then send mail as your relay account: use level 1, "
        "change the relay password, and delete or protect the logs already written.",
        "{services} 的 {parameter} = {level}：级别 4 时 Postfix 客户端会转储 STARTTLS 之后的"
        "整个会话，其中包括它向中继主机发送的 AUTH，即 {maps} 中用户名和密码"
        "的 base64。任何能读取邮件日志的人都能以你的中继账户发信：应使用级别 1，更换中继密码，"
        "并删除或保护已写入的日志。",
    ),
    "postfix.debug_peer_list": Text(
        "For every client that matches debug_peer_list, smtpd logs each command line in "
        "full and unredacted, including the base64 of AUTH PLAIN user names and passwords. "
        "Empty it once the debugging is done, and treat the logs already written as "
        "containing passwords.",
        "对每个匹配 debug_peer_list 的客户端，smtpd 会完整、不加遮掩地记录每一条命令行，"
        "包括 AUTH PLAIN 用户名和密码的 base64。调试结束后应将其清空，并把已写入的日志视为"
        "含有密码。",
    ),
    "postfix.smtpd_verbose": Text(
        "{services} runs smtpd with -v, which logs every command line of every session in "
        "full, AUTH PLAIN and AUTH LOGIN credentials included. Remove -v from master.cf; "
        "when you must debug, do it for one test client and for a short time.",
        "{services} 以 -v 参数运行 smtpd，会完整记录每个会话的每一条命令行，包括 AUTH PLAIN "
        "和 AUTH LOGIN 的凭据。应从 master.cf 中删除 -v；确需调试时，只针对一个测试客户端"
        "短时间进行。",
    ),
    "postfix.tls_old_protocols": Text(
        "{services} accepts {protocols}. SSLv2 and SSLv3 are broken (SSLv3 by POODLE, "
        "RFC 7568): a client that still offers them can have its session, password "
        "included, decrypted by an attacker on the path. Exclude them; every client of the "
        "last fifteen years speaks TLS.",
        "{services} 接受 {protocols}。SSLv2 和 SSLv3 已被攻破（SSLv3 受 POODLE 攻击，见 "
        "RFC 7568）：仍提供它们的客户端，其会话（包括密码）可能被路径上的攻击者解密。应排除"
        "它们；近十五年的客户端都支持 TLS。",
    ),
    "postfix.submission_old_tls": Text(
        "{services} accepts {protocols} from users who log in. Both are deprecated "
        "(RFC 8996) and every current mail client supports TLSv1.2. Require TLSv1.2 or "
        "later on submission; port 25 may keep them, since opportunistic TLS there is still "
        "better than none.",
        "{services} 允许登录用户使用 {protocols}。两者均已被弃用（RFC 8996），而当前所有邮件"
        "客户端都支持 TLSv1.2。应在提交端口上要求 TLSv1.2 或更高版本；25 端口可以保留它们，"
        "因为在那里机会性 TLS 仍胜过没有 TLS。",
    ),
    "postfix.weak_ciphers": Text(
        "The cipher list used on {services} allows {classes} suites (a list such as "
        "ALL:+RC4:@STRENGTH does this). RC4 is prohibited in TLS (RFC 7465) and a password "
        "sent over it again and again can be recovered; export and single-DES suites can be "
        "broken outright, and NULL suites do not encrypt at all. Exclude them.",
        "{services} 使用的加密套件列表允许 {classes} 套件（ALL:+RC4:@STRENGTH 这样的列表就会"
        "如此）。RC4 在 TLS 中已被禁止（RFC 7465），通过它反复发送的密码可以被恢复；出口级和"
        "单 DES 套件可以被直接破解，NULL 套件则完全不加密。应将它们排除。",
    ),
    "postfix.weak_ciphers#library": Text(
        "The cipher list used on {services} includes the MEDIUM grade without excluding "
        "RC4, and the OpenSSL library this Postfix uses, {openssl}, is older than 1.1.0: "
        "it counts RC4 as MEDIUM. RC4 is prohibited in TLS (RFC 7465) and a password sent "
        "over it again and again can be recovered. Excluding it costs nothing, whatever "
        "the library.",
        "{services} 使用的加密套件列表包含 MEDIUM 等级却没有排除 RC4，而此 Postfix 使用的 "
        "OpenSSL 库 {openssl} 早于 1.1.0：它把 RC4 算作 MEDIUM。RC4 在 TLS 中已被禁止"
        "（RFC 7465），通过它反复发送的密码可以被恢复。无论使用哪个库，排除它都没有代价。",
    ),
    "postfix.weak_ciphers#library_unknown": Text(
        "The cipher list used on {services} includes the MEDIUM grade without excluding "
        "RC4. Whether that allows RC4 depends on the OpenSSL library Postfix is linked "
        "with, which a copied configuration does not show: OpenSSL before 1.1.0 (or one "
        "built with enable-weak-ssl-ciphers) counts RC4 as MEDIUM, while 1.1.0 and later, "
        "such as the OpenSSL 3 of Debian 12, have no RC4 at all. Audit the configuration "
        "on the server itself, or pass --openssl-version, to know. RC4 is prohibited in TLS "
        "(RFC 7465) and a password sent over it again and again can be recovered; "
        "excluding it costs nothing, whatever the library.",
        "{services} 使用的加密套件列表包含 MEDIUM 等级却没有排除 RC4。这是否允许 RC4，取决于 "
        "Postfix 链接的 OpenSSL 库，而复制来的配置无法看出这一点：OpenSSL 1.1.0 之前的版本"
        "（或以 enable-weak-ssl-ciphers 编译的版本）把 RC4 算作 MEDIUM，而 1.1.0 及以后的版本"
        "（例如 Debian 12 的 OpenSSL 3）根本没有 RC4。要确定这一点，请在服务器本机上审计该配置，"
        "或使用 --openssl-version 指定。RC4 在 TLS 中已被禁止（RFC 7465），通过它反复发送的密码"
        "可以被恢复；无论使用哪个库，排除它都没有代价。",
    ),
    "postfix.anonymous_ciphers": Text(
        "The cipher list used on {services} allows anonymous (aNULL) suites, which "
        "authenticate nobody: a client that offers them can end up in a session with a man "
        "in the middle and hand him the password. Postfix allows them by default and normal "
        "mail clients do not offer them, but where users log in there is no reason to keep "
        "them.",
        "{services} 使用的加密套件列表允许匿名（aNULL）套件，它们不验证任何一方：提供这类套件"
        "的客户端可能与中间人建立会话，并把密码交给对方。Postfix 默认允许它们，普通邮件客户端"
        "也不会提供它们，但在用户登录的服务上没有理由保留。",
    ),
    "postfix.no_auth_rate_limit": Text(
        "smtpd_client_auth_rate_limit is 0 on {services}, so one client may try passwords "
        "as fast as the server answers. A limit of {limit} AUTH commands per client and "
        "minute (Postfix 3.1 and later) does not bother real users and slows guessing down; "
        "mailwarden run then bans the clients that keep trying.",
        "{services} 上 smtpd_client_auth_rate_limit 为 0，一个客户端可以以服务器应答的最快速度"
        "尝试密码。每个客户端每分钟 {limit} 次 AUTH 命令的限制（Postfix 3.1 及以上）不会影响"
        "真实用户，却能减慢猜测；mailwarden run 会再封禁持续尝试的客户端。",
    ),
    "postfix.anvil_missing": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services}, but master.cf has no anvil "
        "service. The limit is counted by anvil(8): without it smtpd only logs a warning "
        "and lets a client try passwords as fast as the server answers. Add the stock "
        "anvil entry back.",
        "{services} 上 smtpd_client_auth_rate_limit = {limit}，但 master.cf 中没有 anvil "
        "服务。该限制由 anvil(8) 计数：没有它，smtpd 只会记录一条警告，客户端仍可以服务器应答"
        "的最快速度尝试密码。应加回标准的 anvil 条目。",
    ),
    "postfix.anvil_missing#disabled": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services}, but master_service_disable "
        "in main.cf switches off anvil/unix: the master process skips it. The limit is "
        "counted by anvil(8): without it smtpd only logs a warning and lets a client try "
        "passwords as fast as the server answers. The fix takes anvil/unix out of "
        "master_service_disable.",
        "{services} 上 smtpd_client_auth_rate_limit = {limit}，但 main.cf 中的 "
        "master_service_disable 关闭了 anvil/unix：master 进程会跳过它。该限制由 anvil(8) "
        "计数：没有它，smtpd 只会记录一条警告，客户端仍可以服务器应答的最快速度尝试密码。"
        "修复方法是把 anvil/unix 从 master_service_disable 中移除。",
    ),
    "postfix.no_auth_rate_limit#per_minute": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services} lets one client try "
        "{per_minute} passwords a minute (anvil_rate_time_unit = {unit}): more than 60 a "
        "minute slows no guessing down. The fix lowers the limit to {wanted} a minute.",
        "{services} 上的 smtpd_client_auth_rate_limit = {limit} 允许一个客户端每分钟尝试 "
        "{per_minute} 次密码（anvil_rate_time_unit = {unit}）：每分钟超过 60 次根本减慢不了"
        "猜测。修复方法是把限制降到每分钟 {wanted} 次。",
    ),
    "postfix.no_auth_rate_limit#time_unit_long": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services} counts per "
        "anvil_rate_time_unit, which is {unit} here instead of the default 60s: one client "
        "may try {per_minute} passwords a minute on average, which slows no guessing down. "
        "The fix lowers the limit to {wanted} per {unit}. (Setting anvil_rate_time_unit "
        "back to 60s would also change every other anvil rate limit, such as "
        "smtpd_client_connection_rate_limit.)",
        "{services} 上的 smtpd_client_auth_rate_limit = {limit} 按 anvil_rate_time_unit 计数，"
        "而这里该值是 {unit}，不是默认的 60s：一个客户端平均每分钟可以尝试 {per_minute} 次密码，"
        "根本减慢不了猜测。修复方法是把限制降到每 {unit} {wanted} 次。（把 anvil_rate_time_unit "
        "改回 60s 也会改变其他所有 anvil 速率限制，例如 smtpd_client_connection_rate_limit。）",
    ),
    "postfix.no_auth_rate_limit#exempt": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services}, but "
        "smtpd_client_event_limit_exceptions lists {exempt}: every client is exempt, so "
        "the limit applies to nobody, and one client may try passwords as fast as the "
        "server answers. Remove {exempt} from the exceptions; your own networks can stay.",
        "{services} 上 smtpd_client_auth_rate_limit = {limit}，但 "
        "smtpd_client_event_limit_exceptions 列出了 {exempt}：所有客户端都被豁免，该限制"
        "对任何人都不生效，一个客户端可以以服务器应答的最快速度尝试密码。应从例外列表中删除 "
        "{exempt}；你自己的网络可以保留。",
    ),
    "postfix.no_auth_rate_limit#time_unit": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services} counts per "
        "anvil_rate_time_unit, which is {unit} here instead of the default 60s: one client "
        "may try {per_minute} passwords a minute, which slows no guessing down. The fix "
        "lowers the limit to {wanted} per {unit}. (Setting anvil_rate_time_unit back to "
        "60s would also change every other anvil rate limit, such as "
        "smtpd_client_connection_rate_limit.)",
        "{services} 上的 smtpd_client_auth_rate_limit = {limit} 按 anvil_rate_time_unit 计数，"
        "而这里该值是 {unit}，不是默认的 60s：一个客户端每分钟可以尝试 {per_minute} 次密码，"
        "根本减慢不了猜测。修复方法是把限制降到每 {unit} {wanted} 次。（把 "
        "anvil_rate_time_unit 改回 60s 也会改变其他所有 anvil 速率限制，例如 "
        "smtpd_client_connection_rate_limit。）",
    ),
    "postfix.no_auth_rate_limit#exempt_ipv4": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services}, but "
        "smtpd_client_event_limit_exceptions lists {exempt}: every client that connects "
        "over IPv4 is exempt, so the limit applies to IPv6 clients only, and any client "
        "with an IPv4 address may try passwords as fast as the server answers. Remove "
        "{exempt} from the exceptions; your own networks can stay.",
        "{services} 上 smtpd_client_auth_rate_limit = {limit}，但 "
        "smtpd_client_event_limit_exceptions 列出了 {exempt}：所有通过 IPv4 连接的客户端都被"
        "豁免，该限制只对 IPv6 客户端生效，任何使用 IPv4 地址的客户端都可以以服务器应答的最快"
        "速度尝试密码。应从例外列表中删除 {exempt}；你自己的网络可以保留。",
    ),
    "postfix.no_auth_rate_limit#exempt_ipv6": Text(
        "smtpd_client_auth_rate_limit = {limit} on {services}, but "
        "smtpd_client_event_limit_exceptions lists {exempt}: every client that connects "
        "over IPv6 is exempt, so the limit applies to IPv4 clients only, and any client "
        "with an IPv6 address may try passwords as fast as the server answers. Remove "
        "{exempt} from the exceptions; your own networks can stay.",
        "{services} 上 smtpd_client_auth_rate_limit = {limit}，但 "
        "smtpd_client_event_limit_exceptions 列出了 {exempt}：所有通过 IPv6 连接的客户端都被"
        "豁免，该限制只对 IPv4 客户端生效，任何使用 IPv6 地址的客户端都可以以服务器应答的最快"
        "速度尝试密码。应从例外列表中删除 {exempt}；你自己的网络可以保留。",
    ),
    "postfix.anonymous_sasl": Text(
        "The SASL security options on {services} lack noanonymous: if the SASL backend "
        "offers the ANONYMOUS mechanism, a client can authenticate without any password and "
        "relay mail as an authenticated user. Add noanonymous.",
        "{services} 的 SASL 安全选项中缺少 noanonymous：如果 SASL 后端提供 ANONYMOUS 机制，"
        "客户端无需任何密码就能通过认证，并以已认证用户的身份转发邮件。应加上 noanonymous。",
    ),
    "postfix.soft_bounce": Text(
        "With soft_bounce = yes Postfix replies 4xx instead of 5xx, so a failed login gets "
        "435 4.7.8 instead of 535: guessing bots are told to come back later, and real "
        "rejections (unknown users, spam) are deferred instead of refused and fill the "
        "queues. It is a switch for testing; turn it off.",
        "soft_bounce = yes 时 Postfix 以 4xx 代替 5xx 回复，登录失败得到的是 435 4.7.8 而不是 "
        "535：猜密码的机器人被告知稍后再来，而真正的拒绝（未知用户、垃圾邮件）会被推迟而不是"
        "拒收，导致队列堆积。它是测试用的开关，应关闭。",
    ),
    "postfix.soft_bounce#reject_code": Text(
        "With {parameter} = {value} Postfix answers a recipient it does not know (User "
        "unknown in ... table) with {code}, 'try again later', instead of 550, as "
        "soft_bounce = yes would: bots probing for addresses are told to come back, the "
        "servers that send to you keep mail for a mistyped address in their queues for "
        "days, and its sender learns of the mistake only when they give up. Postfix's "
        "documentation suggests a 4xx only while a new recipient table is tested; set it "
        "back to 550.",
        "{parameter} = {value} 时 Postfix 对不认识的收件人（User unknown in ... table）回复 "
        "{code}，即“稍后再试”，而不是 550，与 soft_bounce = yes 的效果相同：探测地址的机器人"
        "被告知稍后再来，向你发信的服务器会把写错地址的邮件在队列中保留数天，发件人要等这些"
        "服务器放弃重试后才会得知地址写错了。Postfix 文档只建议在测试新的收件人表时使用 "
        "4xx；应改回 550。",
    ),
    "postfix.broken_sasl_auth_clients": Text(
        "broken_sasl_auth_clients = yes adds a non-standard AUTH= line to the EHLO reply "
        "for Outlook Express 4 and Exchange 5.0. No current client needs it, and it is one "
        "more advertisement of AUTH. Turn it off.",
        "broken_sasl_auth_clients = yes 会在 EHLO 回复中为 Outlook Express 4 和 Exchange 5.0 "
        "加一行非标准的 AUTH=。当前没有任何客户端需要它，它只是多一处 AUTH 的通告。应关闭。",
    ),
    "postfix.eol_version#unpatched": Text(
        "Postfix {version} is older than 2.8. Upstream stopped patching it long ago, and "
        "so did the distributions that shipped a release that old: known security holes "
        "stay open, and later defences are missing (smtpd_client_auth_rate_limit came in "
        "3.1; RC4 left the default cipher list in 3.8).",
        "Postfix {version} 早于 2.8。上游早已停止维护，发行过如此旧版本的发行版也早已停止"
        "修复：已知的安全漏洞依然存在，后来加入的防护也都缺失（smtpd_client_auth_rate_limit "
        "自 3.1 起提供；RC4 自 3.8 起才从默认加密套件列表中移除）。",
    ),
    "postfix.eol_version": Text(
        "Postfix {version} is older than {oldest}, the oldest stable line that upstream "
        "still patches, and it may lack later defences (smtpd_client_auth_rate_limit came "
        "in 3.1; RC4 left the default cipher list in 3.8). Upgrade, or make sure your "
        "distribution still backports security fixes to this version.",
        "Postfix {version} 早于上游仍在维护的最旧稳定版本 {oldest}，可能缺少后来加入的防护"
        "（smtpd_client_auth_rate_limit 自 3.1 起提供；RC4 自 3.8 起才从默认加密套件列表中"
        "移除）。应升级，或确认你的发行版仍在为该版本回移植安全修复。",
    ),
    "dovecot.cleartext_auth": Text(
        "Cleartext authentication is allowed on connections without TLS, so IMAP and POP3 "
        "passwords can cross the network readable by anyone on the path. Require TLS for "
        "plaintext mechanisms again (Dovecot still allows them from localhost).",
        "在没有 TLS 的连接上允许明文认证，IMAP 和 POP3 密码可能以路径上任何人都能读到的形式"
        "在网络中传输。应恢复为明文认证机制必须使用 TLS（Dovecot 仍允许来自本机的连接使用）。",
    ),
    "dovecot.cleartext_auth#renamed_23": Text(
        "{written} asks Dovecot to accept passwords without TLS, but it is the Dovecot 2.4 "
        "name, and this configuration is for Dovecot 2.3 or older (it has no "
        "dovecot_config_version, which 2.4 requires). Dovecot 2.3 does not know the "
        "setting and refuses the whole configuration (Unknown setting): it will not start "
        "or reload with it. Correcting only the name would let passwords cross the network "
        "in cleartext; the fix writes the 2.3 setting with the safe value instead, {name} "
        "= yes (Dovecot still allows cleartext from localhost).",
        "{written} 要求 Dovecot 接受不经 TLS 的密码，但这是 Dovecot 2.4 的名称，而此配置适用于 "
        "Dovecot 2.3 或更早版本（没有 2.4 必需的 dovecot_config_version）。Dovecot 2.3 不认识"
        "该设置，会拒绝整个配置（Unknown setting）：无法以此配置启动或重新加载。只改名称会让密码"
        "以明文在网络中传输；修复方法是改写为 2.3 的设置并使用安全的值：{name} = yes（Dovecot "
        "仍允许来自本机的明文认证）。",
    ),
    "dovecot.cleartext_auth#renamed_24": Text(
        "{written} asks Dovecot to accept passwords without TLS, but it is the Dovecot 2.3 "
        "name, and this configuration is for Dovecot 2.4 (it has dovecot_config_version). "
        "Dovecot 2.4 does not know the setting and refuses the whole configuration: it "
        "will not start or reload with it. Correcting only the name would let passwords "
        "cross the network in cleartext; the fix writes the 2.4 setting with the safe "
        "value instead, {name} = no (Dovecot still allows cleartext from localhost).",
        "{written} 要求 Dovecot 接受不经 TLS 的密码，但这是 Dovecot 2.3 的名称，而此配置适用于 "
        "Dovecot 2.4（有 dovecot_config_version）。Dovecot 2.4 不认识该设置，会拒绝整个配置："
        "无法以此配置启动或重新加载。只改名称会让密码以明文在网络中传输；修复方法是改写为 2.4 "
        "的设置并使用安全的值：{name} = no（Dovecot 仍允许来自本机的明文认证）。",
    ),
    "dovecot.auth_setting_in_filter": Text(
        "{name} is a setting of Dovecot's auth process, and Dovecot 2.3 does not take "
        "those inside a local or remote section (doveconf: Auth settings not supported "
        "inside local/remote blocks), whatever the value. It refuses the whole "
        "configuration: Dovecot does not start with it, and a running Dovecot cannot "
        "reload it (doveadm reload fails): it keeps the configuration it loaded before, "
        "without this line or any later change (the other fixes of this report "
        "included). The fix takes the line out; the value written around the section "
        "(at the top level, or Dovecot's default) then applies to these clients too, and "
        "this report judges that value. To give all clients another value, set it at the "
        "top level.",
        "{name} 是 Dovecot 认证进程的设置，而 Dovecot 2.3 不接受 local 或 remote 段中的"
        "此类设置（doveconf 报错：local/remote 段中不支持认证设置），"
        "无论其值是什么。它会拒绝整个配置：Dovecot 无法以此配置启动，正在运行的 Dovecot 也"
        "无法重新加载它（doveadm reload 失败），而是继续使用之前加载的配置，其中既没有这一行，"
        "也没有之后的任何修改（包括本报告的其他修复）。修复方法是删除这一行；之后该段外的取值"
        "（顶层设置的值，或 Dovecot 的默认值）同样适用于这些客户端，本报告会对该值进行判断。"
        "如需让所有客户端使用另一个值，请在顶层设置。",
    ),
    "dovecot.setting_other_version": Text(
        "{written} = {old} is written under the name of another Dovecot version, which "
        "this one does not know: Dovecot refuses the whole configuration (Unknown "
        "setting). It does not start with it, and a running Dovecot cannot reload it: it "
        "keeps the configuration it loaded before, without this line or any later change "
        "(the other fixes of this report included). The fix writes {name} = {safe} in "
        "its place.",
        "{written} = {old} 使用的是另一个 Dovecot 版本的名称，此版本不认识它：Dovecot 会拒绝"
        "整个配置（Unknown setting）。Dovecot 无法以此配置启动，正在运行的 Dovecot 也无法重新"
        "加载它：它会继续使用之前加载的配置，其中既没有这一行，也没有之后的任何修改（包括本报告"
        "的其他修复）。修复方法是在该处改写为 {name} = {safe}。",
    ),
    "dovecot.setting_other_version#in_23": Text(
        "{written} is the name Dovecot 2.4 gives this setting, and this configuration is "
        "for Dovecot 2.3 or older (it has no dovecot_config_version, which 2.4 requires). "
        "Dovecot 2.3 does not know the name and refuses the whole configuration "
        "(doveconf: Unknown setting): Dovecot does not start with it, and a running "
        "Dovecot cannot reload it (doveadm reload fails): it keeps the configuration it "
        "loaded before, without this line or any later change (the other fixes of this "
        "report included). In 2.3 the setting is {name} (the opposite sense: {name} = "
        "yes is auth_allow_cleartext = no). The fix writes {name} = {safe} in its place: "
        "passwords only over TLS, except from localhost.",
        "{written} 是 Dovecot 2.4 给这个设置起的名称，而此配置适用于 Dovecot 2.3 或更早版本"
        "（没有 2.4 必需的 dovecot_config_version）。Dovecot 2.3 不认识这个名称，会拒绝整个"
        "配置（doveconf: Unknown setting）：Dovecot 无法以此配置启动，正在运行的 Dovecot 也"
        "无法重新加载它（doveadm reload 失败），而是继续使用之前加载的配置，其中既没有这一行，"
        "也没有之后的任何修改（包括本报告的其他修复）。2.3 中该设置叫 {name}（含义相反："
        "{name} = yes 相当于 auth_allow_cleartext = no）。修复方法是在该处改写为 "
        "{name} = {safe}：密码只能经 TLS 发送，来自本机的连接除外。",
    ),
    "dovecot.setting_other_version#in_24": Text(
        "{written} is the name Dovecot 2.3 gave this setting, and this configuration is "
        "for Dovecot 2.4 (it has dovecot_config_version). Dovecot 2.4 does not know the "
        "name and refuses the whole configuration (Unknown setting): Dovecot does not "
        "start with it, and a running Dovecot cannot reload it: it keeps the configuration "
        "it loaded before, without this line or any later change (the other fixes of this "
        "report included). In 2.4 the setting is {name} (the opposite sense: {name} = no "
        "is disable_plaintext_auth = yes). The fix writes {name} = {safe} in its place: "
        "passwords only over TLS, except from localhost.",
        "{written} 是 Dovecot 2.3 给这个设置起的名称，而此配置适用于 Dovecot 2.4（有 "
        "dovecot_config_version）。Dovecot 2.4 不认识这个名称，会拒绝整个配置（Unknown "
        "setting）：Dovecot 无法以此配置启动，正在运行的 Dovecot 也无法重新加载它，而是继续"
        "使用之前加载的配置，其中既没有这一行，也没有之后的任何修改（包括本报告的其他修复）。"
        "2.4 中该设置叫 {name}（含义相反：{name} = no 相当于 disable_plaintext_auth = yes）。"
        "修复方法是在该处改写为 {name} = {safe}：密码只能经 TLS 发送，来自本机的连接除外。",
    ),
    "dovecot.ssl_disabled": Text(
        "With ssl = no, IMAP and POP3 clients cannot encrypt at all: their passwords and "
        "mail cross the network in cleartext (or, with cleartext authentication disabled, "
        "remote users cannot log in). Turn TLS on; ssl_cert and ssl_key must name your "
        "certificate and key.",
        "ssl = no 时 IMAP 和 POP3 客户端完全无法加密：密码和邮件都以明文在网络中传输（若禁用了"
        "明文认证，远程用户则无法登录）。应开启 TLS；ssl_cert 和 ssl_key 必须指向你的证书和"
        "私钥。",
    ),
    "dovecot.ssl_disabled#in_24": Text(
        "With ssl = no, IMAP and POP3 clients cannot encrypt at all: their passwords and "
        "mail cross the network in cleartext (or, with cleartext authentication disabled, "
        "remote users cannot log in). Turn TLS on; ssl_server_cert_file and "
        "ssl_server_key_file must name your certificate and key.",
        "ssl = no 时 IMAP 和 POP3 客户端完全无法加密：密码和邮件都以明文在网络中传输（若禁用了"
        "明文认证，远程用户则无法登录）。应开启 TLS；ssl_server_cert_file 和 "
        "ssl_server_key_file 必须指向你的证书和私钥。",
    ),
    "dovecot.auth_verbose_passwords": Text(
        "auth_verbose_passwords writes the password (or a hash of it, which can be cracked "
        "offline) of every failed login into the log. Failed logins include users' typos "
        "of their real passwords, so the log becomes a password list. Set it to no and "
        "protect the logs already written.",
        "auth_verbose_passwords 会把每次登录失败的密码（或其哈希，可被离线破解）写入日志。"
        "失败的登录包括用户输错的真实密码，日志因此变成一份密码清单。应设为 no，并保护已写入"
        "的日志。",
    ),
    "dovecot.auth_verbose_passwords#plain": Text(
        "auth_verbose_passwords writes the password of every failed login into the log, "
        "as typed. Failed logins include users' typos of their real passwords, so the log "
        "becomes a password list. Set it to no and protect the logs already written.",
        "auth_verbose_passwords 会把每次登录失败时输入的密码原样写入日志。失败的登录包括用户"
        "输错的真实密码，日志因此变成一份密码清单。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.auth_verbose_passwords#plain_cut": Text(
        "auth_verbose_passwords writes the first {length} characters of the password of "
        "every failed login into the log, as typed: the whole of a short password, the "
        "start of a long one. Failed logins include users' typos of their real passwords, "
        "so the log gives much of them away. Set it to no and protect the logs already "
        "written.",
        "auth_verbose_passwords 会把每次登录失败时输入的密码的前 {length} 个字符原样写入日志："
        "短密码会被完整记录，长密码则记录其开头。失败的登录包括用户输错的真实密码，日志因此"
        "泄露了其中的大部分。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.auth_verbose_passwords#yes_cut": Text(
        "Dovecot takes yes for plain and then drops the :N after it, so auth_verbose_passwords "
        "writes the whole password of every failed login into the log, as typed (only "
        "plain:N cuts it). Failed logins include users' typos of their real passwords, so "
        "the log becomes a password list. Set it to no and protect the logs already "
        "written.",
        "Dovecot 把 yes 当作 plain，并丢弃其后的 :N，因此 auth_verbose_passwords 会把每次"
        "登录失败时输入的完整密码原样写入日志（只有 plain:N 才会截短）。失败的登录包括用户"
        "输错的真实密码，日志因此变成一份密码清单。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.auth_verbose_passwords#sha1": Text(
        "auth_verbose_passwords writes the SHA1 hash of the password of every failed login "
        "into the log. It is unsalted and fast to compute: every password of a common list, "
        "and every short one, is found from it offline. Failed logins include "
        "users' typos of their real passwords. Set it to no and protect the logs already "
        "written.",
        "auth_verbose_passwords 会把每次登录失败时密码的 SHA1 哈希写入日志。该哈希不加盐且计算"
        "很快：常见密码表中的密码以及所有短密码，都能离线从中还原。失败的登录包括"
        "用户输错的真实密码。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.auth_verbose_passwords#sha1_long": Text(
        "auth_verbose_passwords writes the first {length} hex digits of the SHA1 hash of the "
        "password of every failed login into the log. That many digits single a password "
        "out: the hash is unsalted and fast to compute, so every password of a common list, "
        "and every short one, is found from them offline. Failed logins include users' "
        "typos of their real passwords. Set it to no and protect the logs already written.",
        "auth_verbose_passwords 会把每次登录失败时密码的 SHA1 哈希的前 {length} 位十六进制数字"
        "写入日志。这么多位足以确定一个密码：该哈希不加盐且计算很快，常见密码表中的密码以及所有"
        "短密码都能离线从中还原。失败的登录包括用户输错的真实密码。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.auth_verbose_passwords#sha1_cut": Text(
        "auth_verbose_passwords writes the first {length} hex digits of the SHA1 hash of the "
        "password of every failed login into the log. Billions of passwords share them, so "
        "they do not give an unknown password back; but they confirm a guess: whoever reads "
        "the log can test a list of common passwords, or a user's old ones, against each "
        "entry and learn which was typed, and failed logins include users' typos of their "
        "real passwords. Set it to no, unless you read it to tell repeated guesses apart "
        "(what Dovecot's documentation suggests it for): then keep the logs from other "
        "readers.",
        "auth_verbose_passwords 会把每次登录失败时密码的 SHA1 哈希的前 {length} 位十六进制数字"
        "写入日志。数十亿个密码共用这几位，因此无法从中还原未知的密码；但可以用来验证猜测："
        "能读取日志的人可以拿常见密码表或某个用户用过的旧密码逐条比对，从而得知输入的是哪个，"
        "而失败的登录包括用户输错的真实密码。应设为 no，除非你要借它区分重复的猜测（Dovecot "
        "文档建议的用途）：那样就要防止其他人读取这些日志。",
    ),
    "dovecot.auth_verbose_passwords#invalid": Text(
        "Dovecot takes no, plain or sha1, in lower case (yes is taken for plain), each with "
        "an optional :N (a number above 0) that cuts what is logged to N characters; it "
        "refuses any other value, and an empty one (auth_verbose_passwords: Invalid value, "
        "or Invalid truncation number), and with it the whole configuration. Dovecot does "
        "not start with it, and a running Dovecot cannot reload it: it keeps the "
        "configuration it loaded before, without this line or any later change (the other "
        "fixes of this report included). Set it to no, which logs no password.",
        "Dovecot 只接受小写的 no、plain 或 sha1（yes 被当作 plain），其后可加 :N（大于 0 的"
        "数字），把记录的内容截短为 N 个字符；其他值以及空值都会被拒绝（报错为无效值或无效的"
        "截断长度），整个配置也随之被拒绝。Dovecot 无法以此配置启动，正在运行的 Dovecot 也无法"
        "重新加载它：它会继续使用之前加载的配置，其中既没有这一行，也没有之后的任何修改（包括"
        "本报告的其他修复）。应设为 no，即不记录任何密码。",
    ),
    "dovecot.auth_debug_passwords": Text(
        "auth_debug_passwords = yes makes the authentication debug log show passwords and "
        "the raw AUTH data that Dovecot otherwise hides as <hidden>, for successful logins "
        "too. Set it to no and protect the logs already written.",
        "auth_debug_passwords = yes 会让认证调试日志显示密码以及 Dovecot 通常以 <hidden> "
        "隐藏的原始 AUTH 数据，成功的登录也不例外。应设为 no，并保护已写入的日志。",
    ),
    "dovecot.login_trusted_networks": Text(
        "login_trusted_networks lists {networks}, which reaches beyond this machine and "
        "your private networks. Dovecot takes a client from a trusted network for secured: "
        "it accepts its password in cleartext, without TLS, whatever ssl = required and "
        "disable_plaintext_auth say. It also lets that client name another client address "
        "(IMAP ID x-originating-ip, POP3 XCLIENT), which Dovecot then logs and checks as "
        "the real one: a password guesser there can pose as any address it likes, and "
        "mailwarden would ban that address instead of the guesser. Trust only the hosts "
        "that log users in for them: a webmail on this machine (127.0.0.0/8 ::1, which "
        "the fix keeps where the list covered it), or your proxy or load balancer, by its "
        "one address (add it to the fixed line if it is on another machine).",
        "login_trusted_networks 中列出了 {networks}，超出了本机和你的私有网络的范围。Dovecot "
        "把来自可信网络的客户端视为已加密的连接：不管 ssl = required 和 "
        "disable_plaintext_auth 如何设置，都接受它不经 TLS 以明文发送的密码。Dovecot 还允许"
        "这样的客户端声明另一个客户端地址（IMAP ID 的 x-originating-ip、POP3 的 XCLIENT），"
        "并把它当作真实地址记录和检查：位于这些网络中的猜密码者可以冒充任意地址，mailwarden "
        "封禁的将是被冒充的地址而不是猜密码者。只应信任代用户登录的主机：本机上的网页邮件"
        "（127.0.0.0/8 ::1，若原列表覆盖了它们，修复会保留），或者你的代理、负载均衡器的单个"
        "地址（如果它在另一台机器上，请把它加到修复后的那一行中）。",
    ),
    "dovecot.ssl_old_protocols": Text(
        "Dovecot accepts {protocols}. SSLv3 is broken (POODLE, RFC 7568) and TLSv1 and "
        "TLSv1.1 are deprecated (RFC 8996); every current mail client speaks TLSv1.2. Raise "
        "the minimum to TLSv1.2.",
        "Dovecot 接受 {protocols}。SSLv3 已被攻破（POODLE，RFC 7568），TLSv1 和 TLSv1.1 已被"
        "弃用（RFC 8996）；当前所有邮件客户端都支持 TLSv1.2。应把最低版本提高到 TLSv1.2。",
    ),
    "dovecot.weak_ciphers": Text(
        "ssl_cipher_list allows {classes} suites. RC4 is prohibited in TLS (RFC 7465), "
        "export and DES suites can be broken, NULL suites do not encrypt and anonymous ones "
        "authenticate nobody. Go back to Dovecot's default list, which excludes them all.",
        "ssl_cipher_list 允许 {classes} 套件。RC4 在 TLS 中已被禁止（RFC 7465），出口级和 DES "
        "套件可以被破解，NULL 套件不加密，匿名套件不验证任何一方。应恢复 Dovecot 的默认列表，"
        "它排除了上述所有套件。",
    ),
    "dovecot.weak_ciphers#library": Text(
        "ssl_cipher_list allows {classes} suites: it includes the MEDIUM or DEFAULT grade "
        "without excluding RC4, and the OpenSSL library Dovecot uses, {openssl}, is older "
        "than 1.1.0: it counts RC4 in those grades. RC4 is prohibited in TLS (RFC 7465) and "
        "a password sent over it again and again can be recovered; anonymous suites "
        "authenticate nobody. Go back to Dovecot's default list, which excludes them all.",
        "ssl_cipher_list 允许 {classes} 套件：它包含 MEDIUM 或 DEFAULT 等级却没有排除 RC4，而 "
        "Dovecot 使用的 OpenSSL 库 {openssl} 早于 1.1.0：它把 RC4 算在这些等级中。RC4 在 TLS "
        "中已被禁止（RFC 7465），通过它反复发送的密码可以被恢复；匿名套件不验证任何一方。应恢复 "
        "Dovecot 的默认列表，它排除了上述所有套件。",
    ),
    "dovecot.weak_ciphers#library_unknown": _DOVECOT_RC4_UNKNOWN,
    "dovecot.weak_ciphers#library_unknown_anonymous": _DOVECOT_RC4_UNKNOWN,
    "dovecot.auth_failure_delay": Text(
        "auth_failure_delay = 0 tells a client at once that a password was wrong, so it can "
        "try the next one immediately; guessing through Dovecot and through Postfix's SASL "
        "gets faster. The default of 2 seconds costs real users nothing.",
        "auth_failure_delay = 0 会立刻告诉客户端密码错误，使其能马上尝试下一个；通过 Dovecot "
        "和 Postfix SASL 的猜测都会因此加快。默认的 2 秒对真实用户没有任何影响。",
    ),
    "dovecot.anonymous_mechanism": Text(
        "auth_mechanisms includes ANONYMOUS, which logs clients in without a password; "
        "through Postfix's SASL this can let anyone relay mail as an authenticated user. "
        "Remove it.",
        "auth_mechanisms 包含 ANONYMOUS，它允许客户端不用密码登录；通过 Postfix 的 SASL，"
        "任何人都可能以已认证用户的身份转发邮件。应将其删除。",
    ),
    "postfix.no_certificate#required": Text(
        "None of smtpd's certificate settings names a file for {services} "
        "(smtpd_tls_chain_files, smtpd_tls_cert_file, smtpd_tls_eccert_file, "
        "smtpd_tls_dcert_file; in main.cf or a -o of the service). postconf accepts this, "
        'but smtpd logs "warning: No server certs available. TLS won\'t be enabled" and '
        "runs without TLS. "
        "TLS is required here (smtpd_tls_security_level = encrypt or "
        "smtpd_tls_wrappermode = yes), so no client gets through: where AUTH is offered, "
        "users cannot log in or send mail at all. Give smtpd your certificate and key.",
        "{services} 的证书设置（smtpd_tls_chain_files、smtpd_tls_cert_file、"
        "smtpd_tls_eccert_file、smtpd_tls_dcert_file，无论在 main.cf 中还是在该服务的 -o "
        "中）都没有指向任何文件。postconf 接受这样的配置，但 smtpd 会在日志中警告没有可用的"
        "服务器证书、不会启用 TLS，并在没有 TLS 的情况下运行。"
        "这里强制 TLS（smtpd_tls_security_level = encrypt 或 smtpd_tls_wrappermode = yes），"
        "因此任何客户端都无法通过：在提供 AUTH 的服务上，用户根本无法登录或发信。"
        "应为 smtpd 配置证书和私钥。",
    ),
    "postfix.no_certificate#auth_waits": Text(
        "None of smtpd's certificate settings names a file for {services} "
        "(smtpd_tls_chain_files, smtpd_tls_cert_file, smtpd_tls_eccert_file, "
        "smtpd_tls_dcert_file; in main.cf or a -o of the service). postconf accepts this, "
        'but smtpd logs "warning: No server certs available. TLS won\'t be enabled" and '
        "runs without TLS. "
        "STARTTLS is never offered, and AUTH waits for it (smtpd_tls_auth_only = yes, or "
        "noplaintext in smtpd_sasl_security_options): users cannot log in. Give smtpd your "
        "certificate and key.",
        "{services} 的证书设置（smtpd_tls_chain_files、smtpd_tls_cert_file、"
        "smtpd_tls_eccert_file、smtpd_tls_dcert_file，无论在 main.cf 中还是在该服务的 -o "
        "中）都没有指向任何文件。postconf 接受这样的配置，但 smtpd 会在日志中警告没有可用的"
        "服务器证书、不会启用 TLS，并在没有 TLS 的情况下运行。"
        "STARTTLS 从不被提供，而 AUTH 要等 TLS（smtpd_tls_auth_only = yes，或 "
        "smtpd_sasl_security_options 中有 noplaintext）：用户无法登录。"
        "应为 smtpd 配置证书和私钥。",
    ),
    "postfix.no_certificate": Text(
        "None of smtpd's certificate settings names a file for {services} "
        "(smtpd_tls_chain_files, smtpd_tls_cert_file, smtpd_tls_eccert_file, "
        "smtpd_tls_dcert_file; in main.cf or a -o of the service). postconf accepts this, "
        'but smtpd logs "warning: No server certs available. TLS won\'t be enabled" and '
        "runs without TLS. "
        "STARTTLS is never offered, so every password sent with AUTH here crosses the "
        "network in cleartext. Give smtpd your certificate and key.",
        "{services} 的证书设置（smtpd_tls_chain_files、smtpd_tls_cert_file、"
        "smtpd_tls_eccert_file、smtpd_tls_dcert_file，无论在 main.cf 中还是在该服务的 -o "
        "中）都没有指向任何文件。postconf 接受这样的配置，但 smtpd 会在日志中警告没有可用的"
        "服务器证书、不会启用 TLS，并在没有 TLS 的情况下运行。"
        "STARTTLS 从不被提供，因此这里通过 AUTH 发送的每个密码都以明文经过网络。"
        "应为 smtpd 配置证书和私钥。",
    ),
    "dovecot.ssl_no_certificate": Text(
        "TLS is on (ssl = yes, the default, or required; or once the fix of "
        "dovecot.ssl_disabled turns it on), but nothing sets {unset}. "
        "doveconf accepts this and Dovecot starts and announces STARTTLS, but every "
        "STARTTLS and every IMAPS or POP3S connection then fails (Dovecot 2.3 logs "
        "\"Failed to initialize SSL server context: Can't load SSL certificate (ssl_cert "
        'setting): The certificate is empty" and disconnects). Remote users cannot log '
        "in, since passwords are refused without TLS; where cleartext authentication is "
        "allowed, clients that give up on TLS send them in cleartext.",
        "TLS 已开启（ssl = yes 即默认值，或 required；或在 dovecot.ssl_disabled 的修复将其"
        "开启之后），但没有任何地方设置 {unset}。doveconf 接受这样的配置，"
        "Dovecot 也能启动并宣告 STARTTLS，但此后每个 STARTTLS 以及每个 "
        "IMAPS、POP3S 连接都会失败（Dovecot 2.3 会记录无法加载 "
        "SSL 证书、证书为空的错误，并断开连接）。远程用户无法登录，因为没有 TLS 时密码会被拒绝；"
        "在允许明文认证的地方，放弃 TLS 的客户端会以明文发送密码。",
    ),
    "dovecot.ssl_no_certificate#protocols": Text(
        "TLS is on for {protocols} (or once the fix of dovecot.ssl_disabled turns it on), "
        "but {unset} is set only inside protocol, local or remote sections that do not "
        "reach {protocols}, and not at the top level. Dovecot "
        "applies a section's settings only to the connections it matches, so {protocols} "
        "has no certificate: every STARTTLS and every implicit TLS connection there fails "
        "(Dovecot 2.3 logs \"Failed to initialize SSL server context: Can't load SSL "
        'certificate (ssl_cert setting): The certificate is empty"). Its users cannot log '
        "in, since passwords are refused without TLS; where cleartext authentication is "
        "allowed, clients that give up on TLS send them in cleartext. Dovecot's "
        "documentation asks for a top-level certificate and key even where sections set "
        "their own.",
        "{protocols} 已开启 TLS（或在 dovecot.ssl_disabled 的修复将其开启之后），但 {unset} "
        "只在不适用于 {protocols} 的 protocol、local 或 "
        "remote 段中设置，顶层没有设置。Dovecot 只把段内的设置用于与之匹配的连接，因此 "
        "{protocols} 没有证书：那里的每个 STARTTLS 以及每个隐式 TLS 连接都会失败（Dovecot 2.3 "
        "会记录无法加载 SSL 证书、证书为空的错误）。其用户无法登录，因为没有 TLS 时密码会被"
        "拒绝；在允许明文认证的地方，放弃 TLS 的客户端会以明文发送密码。Dovecot 的文档要求"
        "即使各段设置了自己的证书，顶层也要设置证书和私钥。",
    ),
    "dovecot.ssl_no_certificate#emptied": Text(
        "TLS is on for {protocols} (or once the fix of dovecot.ssl_disabled turns it on), "
        "and {unset} is set around it, but {sections} sets {unset} to nothing. Dovecot "
        "gives the connections a section matches the section's value, so the empty one "
        "replaces the top-level one there and {protocols} has no certificate: every "
        "STARTTLS and every implicit TLS connection there fails (Dovecot 2.3 logs "
        "\"Failed to initialize SSL server context: Can't load SSL certificate (ssl_cert "
        'setting): The certificate is empty"). Its users cannot log in, since passwords '
        "are refused without TLS; where cleartext authentication is allowed, clients that "
        "give up on TLS send them in cleartext. The fix takes the empty setting out; the "
        "value around the section then applies there too.",
        "{protocols} 已开启 TLS（或在 dovecot.ssl_disabled 的修复将其开启之后），外层也设置了 "
        "{unset}，但 {sections} 把 {unset} 设为空值。Dovecot 对与某段匹配的连接使用该段的值，"
        "因此这个空值在那里取代了顶层的值，{protocols} 没有证书：那里的每个 STARTTLS 以及每个"
        "隐式 TLS 连接都会失败（Dovecot 2.3 会记录无法加载 SSL 证书、证书为空的错误）。其用户"
        "无法登录，因为没有 TLS 时密码会被拒绝；在允许明文认证的地方，放弃 TLS 的客户端会以"
        "明文发送密码。修复方法是删除这个空设置；之后外层的值在那里同样适用。",
    ),
    "dovecot.ssl_no_certificate#in_24": Text(
        "TLS is on (ssl = yes, the default, or required; or once the fix of "
        "dovecot.ssl_disabled turns it on), but nothing sets {unset}. "
        "Dovecot then announces STARTTLS, but every STARTTLS and every IMAPS or POP3S "
        "connection fails. Remote users cannot log in, since passwords are refused without "
        "TLS; where cleartext authentication is allowed, clients that give up on TLS send "
        "them in cleartext.",
        "TLS 已开启（ssl = yes 即默认值，或 required；或在 dovecot.ssl_disabled 的修复将其"
        "开启之后），但没有任何地方设置 {unset}。Dovecot 仍会宣告 STARTTLS，"
        "但每个 STARTTLS 以及每个 IMAPS、POP3S 连接都会失败。远程用户"
        "无法登录，因为没有 TLS 时密码会被拒绝；在允许明文认证的地方，放弃 TLS 的客户端会以"
        "明文发送密码。",
    ),
}

_NO_PROTOCOL_SETTING = Text(
    "This Postfix has neither smtpd_tls_mandatory_protocols (it came in 2.3) nor "
    "smtpd_tls_protocols (2.6): no setting limits the protocols, and TLS accepts every "
    "one the OpenSSL library offers, required or not. Upgrade Postfix.",
    "此版本的 Postfix 既没有 smtpd_tls_mandatory_protocols（2.3 起提供），也没有 "
    "smtpd_tls_protocols（2.6 起提供）：没有任何设置能限制协议，无论是否强制 TLS，都会接受 "
    "OpenSSL 库提供的所有协议。应升级 Postfix。",
)
_NO_CIPHER_EXCLUSION = Text(
    "This Postfix has no smtpd_tls_exclude_ciphers (it came in 2.3). Upgrade Postfix; until "
    "then, Postfix 2.2 takes its cipher list from smtpd_tls_cipherlist (empty: OpenSSL's "
    "default), which mailwarden does not check: set it to a list that leaves these suites "
    "out, such as DEFAULT:!aNULL:!eNULL:!EXPORT:!LOW:!RC4:!MD5:!DES:!3DES.",
    "此版本的 Postfix 没有 smtpd_tls_exclude_ciphers（2.3 起提供）。应升级 Postfix；在此之前，"
    "Postfix 2.2 的加密套件列表取自 smtpd_tls_cipherlist（为空时即 OpenSSL 的默认列表），"
    "mailwarden 不检查它：请把它设为排除上述套件的列表，例如 "
    "DEFAULT:!aNULL:!eNULL:!EXPORT:!LOW:!RC4:!MD5:!DES:!3DES。",
)

# What to do when a finding has no configuration change to paste: by check, or by check
# and the parameter this Postfix lacks (`id#parameter`); "missing" for any other.
NO_FIX: dict[str, Text] = {
    "postfix.eol_version": Text(
        "Upgrade Postfix to {oldest} or later (or to your distribution's supported package).",
        "将 Postfix 升级到 {oldest} 或更高版本（或升级到发行版仍在支持的软件包）。",
    ),
    "postfix.tls_old_protocols": Text(
        "This Postfix has no smtpd_tls_protocols (it came in 2.6): opportunistic TLS accepts "
        "every protocol the OpenSSL library offers. Upgrade Postfix; on the services where "
        "users log in, requiring TLS brings smtpd_tls_mandatory_protocols into play, which "
        "this version has.",
        "此版本的 Postfix 没有 smtpd_tls_protocols（2.6 起提供）：机会性 TLS 会接受 OpenSSL "
        "库提供的所有协议。应升级 Postfix；在用户登录的服务上强制 TLS 后，起作用的是此版本已有"
        "的 smtpd_tls_mandatory_protocols。",
    ),
    "postfix.tls_old_protocols#smtpd_tls_mandatory_protocols": _NO_PROTOCOL_SETTING,
    "postfix.submission_old_tls#smtpd_tls_mandatory_protocols": _NO_PROTOCOL_SETTING,
    "postfix.weak_ciphers#smtpd_tls_exclude_ciphers": _NO_CIPHER_EXCLUSION,
    "postfix.anonymous_ciphers#smtpd_tls_exclude_ciphers": _NO_CIPHER_EXCLUSION,
    "postfix.weak_ciphers#smtpd_tls_mandatory_exclude_ciphers": _NO_CIPHER_EXCLUSION,
    "postfix.anonymous_ciphers#smtpd_tls_mandatory_exclude_ciphers": _NO_CIPHER_EXCLUSION,
    "missing": Text(
        "This Postfix has no {missing} (it came in {since}), and no other setting of this "
        "version makes this change: upgrade Postfix to {since} or later.",
        "此版本的 Postfix 没有 {missing}（{since} 起提供），也没有其他设置能做出这一修改："
        "应将 Postfix 升级到 {since} 或更高版本。",
    ),
    "postfix.submission_old_tls": Text(
        "This Postfix does not know the protocol names TLSv1.1 and TLSv1.2 (Postfix 2.10 "
        "does, and so do 2.6.19, 2.7.16, 2.8.20 and 2.9.15): a protocol list that names "
        "them, even as !TLSv1.1, is invalid, and Postfix then turns TLS off. Upgrade Postfix "
        "to refuse TLSv1 and TLSv1.1 for logins.",
        "此版本的 Postfix 不认识协议名 TLSv1.1 和 TLSv1.2（Postfix 2.10 以及 2.6.19、2.7.16、"
        "2.8.20、2.9.15 认识）：列出它们的协议列表（即使写作 !TLSv1.1）是无效的，Postfix 会因此"
        "关闭 TLS。应升级 Postfix，才能在登录时拒绝 TLSv1 和 TLSv1.1。",
    ),
    "postfix.submission_missing": Text(
        "Open one of {loopback} to everyone in master.cf: drop the address before its "
        "name (127.0.0.1:submission becomes submission), require TLS there "
        "(smtpd_tls_security_level=encrypt with smtpd_tls_auth_only=yes on 587, "
        "smtpd_tls_wrappermode=yes on 465), point the webmail that used it at the other "
        "one, and audit again.",
        "在 master.cf 中把 {loopback} 之一对所有人开放：去掉其名称前的地址"
        "（127.0.0.1:submission 改为 submission），并在该服务上强制 TLS（587 上设置 "
        "smtpd_tls_security_level=encrypt 和 smtpd_tls_auth_only=yes，465 上设置 "
        "smtpd_tls_wrappermode=yes），让原先使用它的网页邮件改用另一个，然后重新审计。",
    ),
    "postfix.no_certificate#chain": Text(
        "No edit to paste: the files are yours to name. Put the private key, then the "
        "certificate and its chain, in one PEM file readable by root only, name it, and "
        "reload Postfix, for example: {postconf} -e "
        "'smtpd_tls_chain_files=/etc/ssl/private/mail.pem' (or set smtpd_tls_cert_file "
        "and smtpd_tls_key_file to the certificate and key files). A -o of the service "
        "that empties these settings overrides main.cf.",
        "没有可直接粘贴的修改：文件路径由你决定。把私钥、证书及其证书链依次放进一个只有 root "
        "可读的 PEM 文件，配置它并重新加载 Postfix，例如：{postconf} -e "
        "'smtpd_tls_chain_files=/etc/ssl/private/mail.pem'（或把 smtpd_tls_cert_file 和 "
        "smtpd_tls_key_file 设为证书文件和私钥文件）。该服务中把这些设置置空的 -o 会覆盖 "
        "main.cf。",
    ),
    "postfix.no_certificate#pair": Text(
        "No edit to paste: the files are yours to name. Set the certificate (with its "
        "chain) and its private key, readable by root only, and reload Postfix, for "
        "example: {postconf} -e 'smtpd_tls_cert_file=/etc/ssl/certs/mail.pem' "
        "'smtpd_tls_key_file=/etc/ssl/private/mail.key'. A -o of the service that empties "
        "these settings overrides main.cf.",
        "没有可直接粘贴的修改：文件路径由你决定。设置证书（含证书链）及其只有 root 可读的"
        "私钥，并重新加载 Postfix，例如：{postconf} -e "
        "'smtpd_tls_cert_file=/etc/ssl/certs/mail.pem' "
        "'smtpd_tls_key_file=/etc/ssl/private/mail.key'。该服务中把这些设置置空的 -o 会覆盖 "
        "main.cf。",
    ),
    "dovecot.ssl_no_certificate#23": Text(
        "No edit to paste: the files are yours to name. In {file}, set "
        "ssl_cert = </etc/ssl/certs/mail.pem and ssl_key = </etc/ssl/private/mail.key "
        "(the < makes Dovecot read the file; the key readable by root only), then reload "
        "Dovecot.",
        "没有可直接粘贴的修改：文件路径由你决定。在 {file} 中设置 "
        "ssl_cert = </etc/ssl/certs/mail.pem 和 ssl_key = </etc/ssl/private/mail.key"
        "（< 表示让 Dovecot 读取该文件；私钥只应让 root 可读），然后重新加载 Dovecot。",
    ),
    "dovecot.ssl_no_certificate#emptied": Text(
        "Delete the empty {unset} line in {sections} (the value around the section then "
        "applies there), then reload Dovecot.",
        "删除 {sections} 中空的 {unset} 这一行（之后外层的值在那里同样适用），然后重新加载 "
        "Dovecot。",
    ),
    "dovecot.ssl_no_certificate#24": Text(
        "No edit to paste: the files are yours to name. In {file}, set "
        "ssl_server_cert_file = /etc/ssl/certs/mail.pem and "
        "ssl_server_key_file = /etc/ssl/private/mail.key (paths, without the < of Dovecot "
        "2.3; the key readable by root only), then reload Dovecot.",
        "没有可直接粘贴的修改：文件路径由你决定。在 {file} 中设置 "
        "ssl_server_cert_file = /etc/ssl/certs/mail.pem 和 "
        "ssl_server_key_file = /etc/ssl/private/mail.key（直接写路径，不带 Dovecot 2.3 的 <；"
        "私钥只应让 root 可读），然后重新加载 Dovecot。",
    ),
    "postfix.no_auth_rate_limit": Text(
        "This Postfix has no smtpd_client_auth_rate_limit (it came in 3.1): upgrade; until "
        "then mailwarden run bans the clients that keep guessing.",
        "此版本的 Postfix 没有 smtpd_client_auth_rate_limit（3.1 起提供）：应升级；在此之前，"
        "mailwarden run 会封禁持续猜测的客户端。",
    ),
}

LABELS: dict[str, Text] = {
    "high": Text("HIGH", "高危"),
    "medium": Text("MEDIUM", "中危"),
    "low": Text("LOW", "低危"),
    "critical": Text("CRITICAL", "严重"),
    "info": Text("INFO", "提示"),
    "evidence": Text("Evidence", "证据"),
    "why": Text("Why", "原因"),
    "fix": Text("Fix", "修复"),
    "default": Text("(default)", "（默认值）"),
    "empty": Text("(empty)", "（空）"),
    "cut_value": Text(
        "… ({count} characters in all; --format json shows the whole value)",
        "…（共 {count} 个字符；--format json 会显示完整内容）",
    ),
    "listeners": Text(
        "smtpd services: {services} (none on 587 or 465 for remote clients)",
        "smtpd 服务：{services}（没有供远程客户端使用的 587 或 465）",
    ),
    "anvil_absent": Text(
        "master.cf has no {service} entry",
        "master.cf 中没有 {service} 条目",
    ),
    "section": Text("section {section}", "{section} 段"),
    "service": Text("service {service}", "服务 {service}"),
    "line": Text("line {line}", "第 {line} 行"),
    "postfix_header": Text(
        "Postfix {version} in {directory} (read with postconf)",
        "Postfix {version}，目录 {directory}（通过 postconf 读取）",
    ),
    "postfix_header_files": Text(
        "Postfix {version} in {directory} (main.cf and master.cf parsed directly)",
        "Postfix {version}，目录 {directory}（已直接解析 main.cf 和 master.cf）",
    ),
    "dovecot_header": Text(
        "Dovecot {version}, {path} (read with doveconf)",
        "Dovecot {version}，{path}（通过 doveconf 读取）",
    ),
    "dovecot_header_files": Text(
        "Dovecot configuration {path}, in Dovecot 2.3 syntax (it has no "
        "dovecot_config_version; the files were parsed directly)",
        "Dovecot 配置 {path}，采用 Dovecot 2.3 的配置语法（没有 dovecot_config_version；"
        "已直接解析配置文件）",
    ),
    "dovecot_header_files_24": Text(
        "Dovecot configuration {path}, for Dovecot {config_version} (its "
        "dovecot_config_version; the files were parsed directly)",
        "Dovecot 配置 {path}，适用于 Dovecot {config_version}（据其 dovecot_config_version；"
        "已直接解析配置文件）",
    ),
    "version_unknown": Text("(version unknown)", "（版本未知）"),
    "nothing_found": Text("No problems found.", "未发现问题。"),
    "nothing_found_audited": Text(
        "No problems found in what was audited (see the notes above).",
        "在已审计的部分中未发现问题（见上方说明）。",
    ),
    "incomplete": Text(
        "Not audited in full: {tools} could not read the configuration (see the note "
        "above); only what the file parser understood was checked.",
        "审计不完整：{tools} 无法读取该配置（见上方说明）；只检查了文件解析器能理解的部分。",
    ),
    "incomplete_master_cf": Text(
        "Not audited in full: master.cf has entries that Postfix refuses (see the notes "
        "above); they were left out.",
        "审计不完整：master.cf 中有 Postfix 拒绝的条目（见上方说明）；这些条目未被审计。",
    ),
    "incomplete_refused_values": Text(
        "Not audited in full: Postfix refuses values in this configuration (see the notes "
        "above), and the programs that read them stop at start.",
        "审计不完整：Postfix 会拒绝此配置中的某些值（见上方说明），读取它们的程序启动时就会退出。",
    ),
    "incomplete_braces": Text(
        "Not audited in full: Dovecot refuses this configuration, whose braces do not "
        "pair (see the note above); its sections were checked as the lines read.",
        "审计不完整：Dovecot 会拒绝这个配置，其花括号不配对（见上方说明）；各节按所读的行检查。",
    ),
    "incomplete_unread": Text(
        "Not audited in full: part of the configuration was not read (see the notes "
        "above); only what was read was checked.",
        "审计不完整：配置中有一部分没有读取（见上方说明）；只检查了已读取的部分。",
    ),
    "summary": Text(
        "{high} high, {medium} medium, {low} low.",
        "高危 {high} 项，中危 {medium} 项，低危 {low} 项。",
    ),
    "all_commands": Text(
        "All fixes in order (paste them, then reload):",
        "全部修复命令（按顺序粘贴执行，然后重新加载）：",
    ),
    "all_commands_old": Text(
        "All fixes in order (paste them, edit master.cf as shown below, then reload):",
        "全部修复命令（按顺序粘贴执行，再按下面所示修改 master.cf，然后重新加载）：",
    ),
    "master_cf_entries": Text(
        "Postfix before 2.11 has no postconf -M/-P: edit {file} by hand so that these "
        "entries read as follows (replace an entry that is there, add one that is not):",
        "Postfix 2.11 之前没有 postconf -M/-P：请手工编辑 {file}，使下面这些条目内容如下"
        "（已有的条目替换掉，没有的条目加上）：",
    ),
    "then_reload": Text(
        "Then reload:",
        "然后重新加载：",
    ),
    "included_in": Text(
        "Included in the fix of {id} above.",
        "已包含在上面 {id} 的修复中。",
    ),
    "unprintable_command": Text(
        "The commands commented out (#) below are not printed as they must be pasted: "
        "they would have to contain control or invisible characters (shown escaped, as "
        "\\x.. or \\u....), which a terminal cannot show or paste as they are. Take the "
        "exact commands from --format json, or make these edits by hand.",
        "下面以注释（#）形式给出的命令没有按可粘贴的形式打印：它们必须包含控制字符或不可见"
        "字符（以 \\x.. 或 \\u.... 转义显示），终端无法原样显示或粘贴。请从 --format json "
        "的输出中取得确切的命令，或手工进行这些修改。",
    ),
    "replace_line": Text(
        "{file}, line {line}: replace «{old}» with «{new}»",
        "{file} 第 {line} 行：把 «{old}» 改为 «{new}»",
    ),
    "replace_lines": Text(
        "{file}, lines {line}-{end}: replace «{old}» and the lines that continue it with «{new}»",
        "{file} 第 {line}-{end} 行：把 «{old}» 及其续行改为 «{new}»",
    ),
    "remove_line": Text(
        "{file}, line {line}: take out «{old}» (the line is left empty)",
        "{file} 第 {line} 行：删除 «{old}»（该行留空）",
    ),
    "remove_lines": Text(
        "{file}, lines {line}-{end}: take out «{old}» and the lines that continue it (the "
        "lines are left empty)",
        "{file} 第 {line}-{end} 行：删除 «{old}» 及其续行（这些行留空）",
    ),
    "add_setting": Text(
        "{file}: add «{new}»",
        "{file}：添加 «{new}»",
    ),
    "add_setting_section": Text(
        "{file}: inside «{section} {{ }}» set «{new}»",
        "{file}：在 «{section} {{ }}» 中设置 «{new}»",
    ),
    "master_cf_stanza": Text(
        "Then edit {file} by hand (Postfix before 2.11 has no postconf -M/-P) so that "
        "these entries read as follows (replace an entry that is there, add one that is not):",
        "然后手工编辑 {file}（Postfix 2.11 之前没有 postconf -M/-P），使下面这些条目内容如下"
        "（已有的条目替换掉，没有的条目加上）：",
    ),
    "new_stanza": Text(
        "The new entry in {file} will read:",
        "{file} 中的新条目将是：",
    ),
    "new_stanzas": Text(
        "The new entries in {file} will read:",
        "{file} 中的新条目将是：",
    ),
    "changed_stanza": Text(
        "The existing entry in {file} that the fix edits will read:",
        "{file} 中被此修复修改的现有条目将是：",
    ),
    "changed_stanzas": Text(
        "The existing entries in {file} that the fix edits will read:",
        "{file} 中被此修复修改的现有条目将是：",
    ),
    "needs_certificate": Text(
        "No TLS certificate is configured: first set smtpd_tls_cert_file and "
        "smtpd_tls_key_file (or smtpd_tls_chain_files) to your certificate and key, or "
        "clients cannot start the TLS that this fix requires.",
        "尚未配置 TLS 证书：请先把 smtpd_tls_cert_file 和 smtpd_tls_key_file（或 "
        "smtpd_tls_chain_files）设为你的证书和私钥，否则客户端无法启动此修复所要求的 TLS。",
    ),
    "planned_service": Text(
        "{services} is the service that the fix of {added_by} adds.",
        "{services} 是 {added_by} 的修复所添加的服务。",
    ),
    "folded_rewrite": Text(
        "postconf -M rewrites the whole entry: the entry written here already carries the "
        "other fixes of this service in this report, so that none of them is undone, "
        "whichever order you apply them in.",
        "postconf -M 会重写整个条目：这里写入的条目已包含本报告中该服务的其他修复，因此无论按"
        "什么顺序应用，都不会撤销其中任何一个。",
    ),
    "after_fix": Text(
        "This applies to {services} once the fix of {after_fix} is in.",
        "应用 {after_fix} 的修复之后，{services} 会出现这一问题。",
    ),
    "after_fix_dovecot": Text(
        "ssl = no keeps this setting from having any effect today; it applies once the fix "
        "of {after_fix} turns TLS on, so the fix here goes with that one.",
        "ssl = no 使这一设置目前不起作用；{after_fix} 的修复开启 TLS 之后它就会生效，"
        "因此应与那项修复一同应用此修复。",
    ),
    "after_fix_tls_on": Text(
        "ssl = no hides this today; it applies once the fix of {after_fix} turns TLS on.",
        "ssl = no 目前掩盖了这一问题；{after_fix} 的修复开启 TLS 之后就会出现。",
    ),
    "completed_fix": Text(
        "Once this fix is in, the service reads other settings (the mandatory TLS "
        "protocols and ciphers, the checks that apply where AUTH is offered, or the anvil "
        "service that keeps a rate limit): the fix sets those too.",
        "应用此修复后，该服务会读取另外的设置（强制 TLS 时的协议和加密套件、提供 AUTH 时"
        "适用的检查，或执行速率限制的 anvil 服务）：修复也一并设置了它们。",
    ),
    "needs_certificate_dovecot": Text(
        "No TLS certificate is configured: first set ssl_cert and ssl_key to your "
        "certificate and key (ssl_cert = </path/to/cert.pem), or every STARTTLS and every "
        "IMAPS or POP3S connection fails.",
        "尚未配置 TLS 证书：请先把 ssl_cert 和 ssl_key 设为你的证书和私钥"
        "（ssl_cert = </path/to/cert.pem），否则每个 STARTTLS 以及每个 IMAPS、POP3S 连接都会失败。",
    ),
    "needs_certificate_dovecot_24": Text(
        "No TLS certificate is configured: first set ssl_server_cert_file and "
        "ssl_server_key_file to the files of your certificate and key "
        "(ssl_server_cert_file = /path/to/cert.pem, a path without the < of Dovecot 2.3), "
        "or every STARTTLS and every IMAPS or POP3S connection fails.",
        "尚未配置 TLS 证书：请先把 ssl_server_cert_file 和 ssl_server_key_file 设为你的证书和"
        "私钥文件（ssl_server_cert_file = /path/to/cert.pem，直接写路径，不带 Dovecot 2.3 的 <），"
        "否则每个 STARTTLS 以及每个 IMAPS、POP3S 连接都会失败。",
    ),
}

NOTES: dict[str, Text] = {
    "version_invalid": Text(
        "mail_version = {value} in main.cf is not a Postfix version: it was ignored.",
        "main.cf 中的 mail_version = {value} 不是 Postfix 版本号：已忽略。",
    ),
    "version_assumed": Text(
        "The Postfix version is taken to be {version}, that of this machine's postconf. If "
        "the directory comes from another server, pass --postfix-version (its defaults "
        "differ, and the end-of-life check needs it).",
        "Postfix 版本按本机 postconf 的版本 {version} 计算。如果该目录来自另一台服务器，请使用 "
        "--postfix-version 指定其版本（默认值不同，生命周期检查也需要它）。",
    ),
    "version_unknown": Text(
        "The Postfix version is unknown (no postconf here, no mail_version in main.cf): "
        "the defaults of Postfix 3.7 are assumed. Pass --postfix-version.",
        "Postfix 版本未知（本机没有 postconf，main.cf 中也没有 mail_version）：按 Postfix 3.7 "
        "的默认值计算。请使用 --postfix-version 指定。",
    ),
    "version_unknown_files": Text(
        "The Postfix version is unknown (the files were read as asked, without postconf, "
        "and main.cf gives no mail_version): the defaults of Postfix 3.7 are assumed. "
        "Pass --postfix-version.",
        "Postfix 版本未知（按要求直接读取了文件，未使用 postconf，main.cf 中也没有可用的 "
        "mail_version）：按 Postfix 3.7 的默认值计算。请使用 --postfix-version 指定。",
    ),
    "version_unknown_failed": Text(
        "The Postfix version is unknown (postconf could not read the directory, and "
        "main.cf gives no mail_version): the defaults of Postfix 3.7 are assumed. Pass "
        "--postfix-version.",
        "Postfix 版本未知（postconf 无法读取该目录，main.cf 中也没有可用的 mail_version）："
        "按 Postfix 3.7 的默认值计算。请使用 --postfix-version 指定。",
    ),
    "postconf_failed": Text(
        "postconf could not read the directory ({error}); main.cf and master.cf were "
        "parsed directly.",
        "postconf 无法读取该目录（{error}）；已直接解析 main.cf 和 master.cf。",
    ),
    "postconf_warning": Text(
        "postconf warns: {warning}",
        "postconf 警告：{warning}",
    ),
    "master_cf_field_count": Text(
        "{file}, line {line}: {count} fields, where a master.cf entry has 8 (service, type, "
        "private, unpriv, chroot, wakeup, maxproc, command): Postfix refuses this master.cf "
        '("{error}") and does not start; this entry was not audited.',
        "{file} 第 {line} 行：只有 {count} 个字段，而 master.cf 条目需要 8 个（service、type、"
        "private、unpriv、chroot、wakeup、maxproc、command）：Postfix 会拒绝这个 master.cf"
        "（报错：{error}）而无法启动；此条目未被审计。",
    ),
    "master_cf_continuation": Text(
        "{file}, line {line}: this line continues the entry above but does not start with "
        "white space, so Postfix reads it as an entry of {count} fields and refuses this "
        'master.cf ("{error}"); it was not audited. Indent it.',
        "{file} 第 {line} 行：这一行是上一条目的续行，但没有以空白开头，因此 Postfix 把它当作"
        "只有 {count} 个字段的条目而拒绝这个 master.cf（报错：{error}）；此行未被审计。"
        "请在行首加上缩进。",
    ),
    "master_cf_field": Text(
        '{file}, line {line}: "{value}" is no {column} field Postfix can read (is a column '
        'missing?): Postfix refuses this master.cf ("{error}") and does not start; this '
        "entry was not audited.",
        "{file} 第 {line} 行：“{value}”不是 Postfix 能读取的 {column} 字段（是否缺了一列？）："
        "Postfix 会拒绝这个 master.cf（报错：{error}）而无法启动；此条目未被审计。",
    ),
    "master_cf_brace": Text(
        "{file}, line {line}: a {{ that is never closed (a -o {{ name = value }} without "
        'its }}): Postfix cannot read the option as written ("{error}"); this entry was '
        "not audited. Close the brace.",
        "{file} 第 {line} 行：有一个没有闭合的 {{（-o {{ name = value }} 缺少 }}）：Postfix "
        "无法按所写内容读取该选项（报错：{error}）；此条目未被审计。请补上右花括号。",
    ),
    "master_cf_brace_option": Text(
        "{file}, line {line}: a {{ that is never closed (a -o {{ name = value }} without "
        'its }}): postconf warns ("{error}") and reads the rest of the entry as the option, '
        "and so was it audited; the service's program may not read it so. Close the brace.",
        "{file} 第 {line} 行：有一个没有闭合的 {{（-o {{ name = value }} 缺少 }}）：postconf "
        "会发出警告（{error}），并把该条目余下的内容当作这个选项读取，本次审计也是这样读取的；"
        "但该服务的程序未必这样读取。请补上右花括号。",
    ),
    "master_cf_option": Text(
        '{file}, line {line}: "-o {option}" on {service} is no name=value: postconf takes '
        'it, but the service\'s program stops at start ("fatal: {error}"), so {service} '
        "does not run. The option was left out of the audit. Write it as -o name=value.",
        "{file} 第 {line} 行：{service} 上的“-o {option}”不是 name=value 形式：postconf "
        "会接受它，但该服务的程序启动时就会退出（报错：fatal: {error}），因此 {service} "
        "无法运行。审计时忽略了该选项。请写成 -o name=value。",
    ),
    "master_cf_option_missing": Text(
        "{file}, line {line}: -o ends the entry of {service} without its name=value: "
        'postconf takes it, but the service\'s program stops at start ("fatal: {error}"), '
        "so {service} does not run. Give the -o its name=value, or remove it.",
        "{file} 第 {line} 行：{service} 条目以 -o 结尾，缺少 name=value：postconf 会接受它，"
        "但该服务的程序启动时就会退出（报错：fatal: {error}），因此 {service} 无法运行。"
        "请为该 -o 补上 name=value，或将其删除。",
    ),
    "postfix_boolean": Text(
        "{file}, line {line}: {parameter} = {value}: Postfix takes only yes or no here "
        "(in any case); postconf takes the value, but every Postfix program that reads it "
        'stops at start ("fatal: {error}"). The audit read it as no. Write yes or no.',
        "{file} 第 {line} 行：{parameter} = {value}：这里 Postfix 只接受 yes 或 no"
        "（不区分大小写）；postconf 会接受该值，但读取它的每个 Postfix 程序启动时都会退出"
        "（报错：fatal: {error}）。审计时按 no 处理。请写成 yes 或 no。",
    ),
    "postfix_boolean_service": Text(
        "{file}, line {line}: {parameter} = {value} on {service}: Postfix takes only yes or "
        "no here (in any case); postconf takes the value, but the service's program stops "
        'at start ("fatal: {error}"), so {service} does not run. The audit read it as no. '
        "Write yes or no.",
        "{file} 第 {line} 行：{service} 上的 {parameter} = {value}：这里 Postfix 只接受 yes "
        "或 no（不区分大小写）；postconf 会接受该值，但该服务的程序启动时就会退出（报错："
        "fatal: {error}），因此 {service} 无法运行。审计时按 no 处理。请写成 yes 或 no。",
    ),
    "postfix_boolean#reported": Text(
        "{file}, line {line}: {parameter} = {value}: Postfix takes only yes or no here "
        "(in any case); postconf takes the value, but every Postfix program that reads it "
        'stops at start ("fatal: {error}"). The audit read it as no. The finding '
        "postfix.refused_boolean below gives the command that ends it.",
        "{file} 第 {line} 行：{parameter} = {value}：这里 Postfix 只接受 yes 或 no"
        "（不区分大小写）；postconf 会接受该值，但读取它的每个 Postfix 程序启动时都会退出"
        "（报错：fatal: {error}）。审计时按 no 处理。下面的 postfix.refused_boolean "
        "给出了解决它的命令。",
    ),
    "postfix_boolean_service#reported": Text(
        "{file}, line {line}: {parameter} = {value} on {service}: Postfix takes only yes or "
        "no here (in any case); postconf takes the value, but the service's program stops "
        'at start ("fatal: {error}"), so {service} does not run. The audit read it as no. '
        "The finding postfix.refused_boolean below gives the command that ends it.",
        "{file} 第 {line} 行：{service} 上的 {parameter} = {value}：这里 Postfix 只接受 yes "
        "或 no（不区分大小写）；postconf 会接受该值，但该服务的程序启动时就会退出（报错："
        "fatal: {error}），因此 {service} 无法运行。审计时按 no 处理。下面的 "
        "postfix.refused_boolean 给出了解决它的命令。",
    ),
    "doveconf_failed": Text(
        "doveconf could not read the configuration ({error}); the files were parsed directly.",
        "doveconf 无法读取该配置（{error}）；已直接解析配置文件。",
    ),
    "dovecot_brace_missing": Text(
        "{file}, line {line}: a section opened here is never closed (no }}): Dovecot "
        "refuses the configuration (\"Missing '}}'\") and does not start. Close it.",
        "{file} 第 {line} 行：此处开始的节没有闭合（缺少 }}）：Dovecot 会拒绝这个配置"
        "（报错：\"Missing '}}'\"），无法启动。请补上右花括号。",
    ),
    "dovecot_brace_unexpected": Text(
        "{file}, line {line}: a }} that closes no section: Dovecot refuses the "
        "configuration (\"Unexpected '}}'\") and does not start. Remove it, or add "
        "the section's opening line it was meant to close.",
        "{file} 第 {line} 行：这个 }} 没有可闭合的节：Dovecot 会拒绝这个配置"
        "（报错：\"Unexpected '}}'\"），无法启动。请删除它，或补上它应闭合的节的开始行。",
    ),
    "include_missing": Text(
        "The included file {path} does not exist: Dovecot refuses this configuration, "
        "and it was not read.",
        "被包含的文件 {path} 不存在：Dovecot 会拒绝这个配置，该文件未被读取。",
    ),
    "dovecot_protocols_default": Text(
        "{path}: the files read give protocols no value of their own (none is written, "
        "or it starts from $protocols, or 2.4's protocols {{ }} adds to it), so it rests "
        "on the build's default, which they do not show: imap pop3 lmtp in "
        "Dovecot's own sources (RHEL, Fedora, Arch, ...), empty on Debian and Ubuntu, "
        "whose packages add each protocol in /usr/share/dovecot/protocols.d/*.protocol "
        "(none was read). The audit took imap pop3 lmtp, so that no protocol this Dovecot "
        "may serve goes unjudged. Without --read-files, on the server, doveconf gives the "
        "value.",
        "{path}：所读取的文件没有给 protocols 一个独立的值（没有写出，或以 $protocols 开头，"
        "或由 2.4 的 protocols {{ }} 在其上添加），因此它取决于编译时的默认值，文件中看不出来："
        "Dovecot 自己的源代码中为 imap pop3 lmtp（RHEL、Fedora、"
        "Arch 等），Debian 和 Ubuntu 上为空，由各协议软件包在 "
        "/usr/share/dovecot/protocols.d/*.protocol 中加入（这里一个也没有读到）。审计按 "
        "imap pop3 lmtp 处理，以免漏判这个 Dovecot 可能提供的协议。在服务器上不加 "
        "--read-files 运行时，doveconf 会给出该值。",
    ),
    "include_directory": Text(
        "{file}, line {line}: the included {path} is a directory; Dovecot reads nothing "
        "from it, and neither did the audit.",
        "{file} 第 {line} 行：被包含的 {path} 是一个目录；Dovecot 不会从中读取任何内容，"
        "审计也没有读取。",
    ),
    "include_try_missing": Text(
        "{file}, line {line}: the file {path} that !include_try names does not exist (a "
        "symbolic link to nothing): Dovecot skips it, and so did the audit.",
        "{file} 第 {line} 行：!include_try 指定的文件 {path} 不存在（指向不存在目标的符号链接）："
        "Dovecot 会跳过它，审计也跳过了它。",
    ),
    "postfix_unread": Text(
        "The Postfix configuration could not be read ({error}): Postfix was not audited.",
        "无法读取 Postfix 配置（{error}）：未审计 Postfix。",
    ),
    "dovecot_unread": Text(
        "The Dovecot configuration could not be read ({error}): Dovecot was not audited.",
        "无法读取 Dovecot 配置（{error}）：未审计 Dovecot。",
    ),
    "include_depth": Text(
        "Includes nest too deeply at {path}; the rest was not read.",
        "在 {path} 处包含层级过深；其余部分未读取。",
    ),
    "include_recursive": Text(
        "{file}, line {line}: recursive include of {path}, which is already being read: "
        "it was not read again. Dovecot refuses such a configuration.",
        "{file} 第 {line} 行：递归包含 {path}，而该文件正在被读取：没有再次读取。"
        "Dovecot 会拒绝这样的配置。",
    ),
    "include_count": Text(
        "{file}, line {line}: the includes have read {count} files (a file included "
        "twice counts twice); {path} and the rest were not read.",
        "{file} 第 {line} 行：包含的文件已读取 {count} 个（同一文件被包含两次计为两个）；"
        "{path} 及其余部分未读取。",
    ),
    "expansion_nesting": Text(
        "{parameter}: its value refers to other parameters more than 100 levels deep, or "
        'to itself; Postfix refuses such a value ("unreasonable macro call nesting"), '
        "so it was checked unexpanded.",
        "{parameter}：其值对其他参数的引用嵌套超过 100 层，或引用了自身；Postfix 会拒绝这样的值"
        "（报错：宏调用嵌套过深），因此按未展开的值进行了检查。",
    ),
    "expansion_syntax": Text(
        "{parameter}: its value has a parameter reference Postfix cannot parse; Postfix "
        'refuses such a value ("macro processing error"; postconf -x shows where), so it '
        "was checked unexpanded.",
        "{parameter}：其值中有 Postfix 无法解析的参数引用；Postfix 会拒绝这样的值"
        "（报错：宏处理错误；postconf -x 可显示出错位置），因此按未展开的值进行了检查。",
    ),
    "expansion_cut_short": Text(
        "{parameter}: its value expands to more than the audit follows (1000 parameter "
        "references or a million characters); the rest was checked unexpanded, and a "
        "problem in it may have been missed.",
        "{parameter}：其值展开后超出了审计所处理的范围（1000 次参数引用或一百万个字符）；"
        "其余部分按未展开的值进行了检查，其中的问题可能未被发现。",
    ),
    "postfix_absent": Text(
        "No Postfix configuration in {directory}: Postfix was not audited.",
        "{directory} 中没有 Postfix 配置：未审计 Postfix。",
    ),
    "dovecot_absent": Text(
        "No Dovecot configuration at {path}: Dovecot was not audited.",
        "{path} 处没有 Dovecot 配置：未审计 Dovecot。",
    ),
    "checks_selected": Text(
        "Only the checks selected with --check {selectors} were run ({count} of the "
        "{total} checks for what was audited): the others were not, so this is not a "
        "full audit.",
        "只运行了 --check {selectors} 选择的检查（已审计部分共 {total} 项检查，运行了其中 "
        "{count} 项）：其余检查没有运行，因此这不是完整的审计。",
    ),
    "selector_unaudited": Text(
        "--check {selector} selects checks of {source}, which was not audited here: "
        "nothing of it was checked.",
        "--check {selector} 选择的是 {source} 的检查，但这里没有审计 {source}："
        "这部分没有做任何检查。",
    ),
}


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


LISTS = frozenset(
    {"protocols", "classes", "services", "loopback", "exempt", "tools", "fixed_in", "unset"}
)
"""Details that are lists in prose, joined by ", " (names of services, protocols, cipher
classes, tools, the items of a list a finding names): Chinese joins them by "、". The
values to paste (the fixes) are no details and keep Postfix's and Dovecot's syntax."""


def fill(text: str, values: Mapping[str, str], lang: Lang = "en") -> str:
    """`text` with its placeholders filled; a missing value leaves nothing behind."""
    if lang == "zh_CN" and any(key in LISTS for key in values):
        values = {k: v.replace(", ", "、") if k in LISTS else v for k, v in values.items()}
    return text.format_map(_Blank(values))


def title(check_id: str, details: Mapping[str, str], lang: Lang) -> str:
    variant = details.get("variant")
    text = TITLES.get(f"{check_id}#{variant}") if variant else None
    return fill((text or TITLES[check_id]).get(lang), details, lang)


def explanation(check_id: str, details: Mapping[str, str], lang: Lang) -> str:
    variant = details.get("variant")
    text = EXPLANATIONS.get(f"{check_id}#{variant}") if variant else None
    return fill((text or EXPLANATIONS[check_id]).get(lang), details, lang)


def label(key: str, lang: Lang, **values: str) -> str:
    return fill(LABELS[key].get(lang), values, lang)


def note(key: str, details: Mapping[str, str], lang: Lang) -> str:
    variant = details.get("variant")
    text = NOTES.get(f"{key}#{variant}") if variant else None
    return fill((text or NOTES[key]).get(lang), details, lang)
