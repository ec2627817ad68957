"""How a command ends in failure: one ``error: …`` line on stderr and its exit status."""

from __future__ import annotations

from typing import NoReturn

import click

from app.ports import EXIT_STATUS, ErrorKind, TapError

#: exit status for usage and configuration errors (EXIT_STATUS keeps 1 free for it)
USAGE_STATUS = 1
NOT_ENROLLED_HINT = "run `mykey-counter enroll --server URL --code CODE` first"

#: one short line per error: (English, Japanese)
MESSAGES: dict[ErrorKind, tuple[str, str]] = {
    ErrorKind.NOT_JPKI_CARD: ("not a My Number Card", "マイナンバーカードではありません"),
    ErrorKind.CARD_REMOVED: ("the card was removed", "カードが離れました"),
    ErrorKind.NO_READER: ("no card reader (pcscd not running?)", "カードリーダーがありません"),
    ErrorKind.WRONG_PIN: ("wrong PIN", "暗証番号が違います"),
    ErrorKind.PIN_BLOCKED: (
        "the PIN is locked: ask the municipal office",
        "暗証番号がロックされています。市区町村の窓口で解除してください",
    ),
    ErrorKind.LAST_TRY_REFUSED: (
        "only one PIN try left: not used (pass --allow-last-try)",
        "暗証番号の残り回数が1回です。使用しませんでした",
    ),
    ErrorKind.NOT_REGISTERED: (
        "this card is not registered for the service",
        "このカードはサービスに登録されていません",
    ),
    ErrorKind.CERTIFICATE_REVOKED: (
        "the card's certificate is revoked",
        "電子証明書が失効しています",
    ),
    ErrorKind.CERTIFICATE_EXPIRED: (
        "the card's certificate is expired or not yet valid",
        "電子証明書の有効期限外です",
    ),
    ErrorKind.CERTIFICATE_UNTRUSTED: (
        "the card's certificate is not trusted",
        "電子証明書を確認できません",
    ),
    ErrorKind.PLATFORM_UNREACHABLE: (
        "the MyKey Platform is unreachable",
        "MyKeyプラットフォームに接続できません",
    ),
    ErrorKind.NOT_ENROLLED: (
        "this terminal is not enrolled (mykey-counter enroll)",
        "この端末は登録されていません",
    ),
    ErrorKind.CARD_ERROR: ("the card could not be read", "カードを読み取れませんでした"),
    ErrorKind.PLATFORM_ERROR: (
        "the MyKey Platform refused",
        "MyKeyプラットフォームでエラーが発生しました",
    ),
    ErrorKind.LABEL_LIMIT_REACHED: (
        "today's label limit for this card is reached: ask at the counter",
        "本日のラベル発行数の上限に達しました。カウンターでお尋ねください",
    ),
    ErrorKind.RATE_LIMITED: (
        "too many tries in a short time: wait a moment and try again",
        "短い時間に操作が多すぎます。しばらく待ってからもう一度お試しください",
    ),
}


def error_line(error: TapError, language: str = "ja") -> str:
    """One line for stderr: both languages (the configured one first) and the detail."""
    en, ja = MESSAGES[error.kind]
    if error.kind is ErrorKind.WRONG_PIN and error.tries_left is not None:
        en, ja = f"{en}, {error.tries_left} tries left", f"{ja}(残り{error.tries_left}回)"
    text = f"{ja} / {en}" if language == "ja" else f"{en} / {ja}"
    detail = f" ({error.detail})" if error.detail else ""
    return f"error: {text}{detail}"


def not_enrolled() -> TapError:
    """The error of a command that needs an enrolled terminal, saying how to enroll."""
    return TapError(ErrorKind.NOT_ENROLLED, NOT_ENROLLED_HINT)


def fail(error: TapError, language: str) -> NoReturn:
    """End the command with ``error``'s line and exit status."""
    click.echo(error_line(error, language), err=True)
    raise SystemExit(EXIT_STATUS[error.kind])


def usage(message: str) -> NoReturn:
    """End the command as a usage or configuration error (exit status 1)."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(USAGE_STATUS)
