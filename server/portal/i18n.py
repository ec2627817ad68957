"""The portal's words: Japanese by default, English by ``?lang=en`` (kept in a cookie)."""

from __future__ import annotations

LANGS = ("ja", "en")
DEFAULT_LANG = "ja"
LANG_COOKIE = "mykey_lang"

#: key → (Japanese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    "portal": ("マイキープラットフォーム ポータルサイト", "MyKey Platform portal"),
    "register_title": (
        "マイキーIDの作成・登録および利用者マイページのログイン用パスワード等設定",
        "Create and register a MyKey ID, and set the My Page password",
    ),
    "candidate": ("マイキーID候補", "MyKey ID candidate"),
    "how_to_create": (
        "マイキーID候補を(1)または(2)の方法で作成してください。",
        "Create a MyKey ID candidate by (1) or (2).",
    ),
    "method_generate": (
        "(1)マイキーIDを自動で生成し、登録する場合: 「自動生成」ボタンをクリックすると、"
        "「マイキーID候補」欄にマイキーID候補が表示されます。ただし、自動生成は3回までとします。"
        "3回目に自動生成された値はマイキーIDとして登録されます。",
        "(1) Generate: “Generate” fills the candidate field. At most 3 times; the third "
        "generated value is registered as the MyKey ID.",
    ),
    "method_type": (
        "(2)任意にマイキーIDを作成し、登録する場合: 8ケタ(半角大文字英数字)を入力し、"
        "「重複チェック」ボタンをクリックしてください。3回エラーとなった場合、"
        "マイキーID候補が自動生成されます。",
        "(2) Choose your own: type 8 upper-case letters and digits and press “Duplicate "
        "check”. After 3 errors a candidate is generated into the field.",
    ),
    "generate": ("自動生成", "Generate"),
    "check": ("重複チェック", "Duplicate check"),
    "generated_n": ("自動生成 {n}/3 回目", "Generated {n} of 3"),
    "generated_final": (
        "3回目に自動生成された値がマイキーIDとして登録されます。",
        "The third generated value will be registered as your MyKey ID.",
    ),
    "generate_limit": ("自動生成は3回までです。", "A candidate can be generated at most 3 times."),
    "candidate_free": ("このマイキーID候補は使用できます。", "This MyKey ID candidate is free."),
    "candidate_taken": (
        "このマイキーID候補は既に使用されています。",
        "This MyKey ID candidate is already taken.",
    ),
    "candidate_suggested": (
        "3回エラーとなったため、マイキーID候補を自動生成しました。",
        "After 3 errors, a candidate was generated for you.",
    ),
    "candidate_format": (
        "マイキーID候補は8ケタの半角大文字英数字で入力してください。",
        "A MyKey ID is 8 upper-case letters A–Z and digits.",
    ),
    "candidate_required": ("マイキーID候補を作成してください。", "Create a MyKey ID candidate."),
    "candidate_not_third": (
        "3回自動生成したため、3回目に自動生成された値のみ登録できます。",
        "After 3 generations, only the third generated value can be registered.",
    ),
    "password": ("利用者マイページログイン用パスワード", "My Page password"),
    "password_confirm": (
        "利用者マイページログイン用パスワード[確認用]",
        "My Page password (again)",
    ),
    "password_hint": (
        "6～16ケタの半角英数字で入力してください。",
        "6–16 ASCII letters and digits.",
    ),
    "confirm_hint": (
        "確認のためもう一度入力してください。(コピー・貼り付けはしないでください。)",
        "Type it again to confirm (no copy and paste).",
    ),
    "password_required": ("パスワードを入力してください。", "Enter a password."),
    "password_format": (
        "パスワードは6～16ケタの半角英数字で入力してください。",
        "The password must be 6–16 ASCII letters and digits.",
    ),
    "password_common": (
        "このパスワードはよく使われていて推測されやすいため使えません"
        "（マイキーIDと同じものも使えません）。別のパスワードを入力してください。",
        "This password is too common to be safe (and the MyKey ID itself cannot be used): "
        "choose another one.",
    ),
    "password_mismatch": (
        "確認用パスワードが一致しません。",
        "The two passwords do not match.",
    ),
    "email": ("メールアドレス", "E-mail address"),
    "email_confirm": ("メールアドレス[確認用]", "E-mail address (again)"),
    "email_format": ("メールアドレスの形式が正しくありません。", "This is not an e-mail address."),
    "email_mismatch": (
        "確認用メールアドレスが一致しません。",
        "The two e-mail addresses do not match.",
    ),
    "email_needed": (
        "メール通知を希望する場合はメールアドレスを入力してください。",
        "Enter an e-mail address to receive notices.",
    ),
    "paste_blocked": (
        "確認用の欄には貼り付けできません。入力してください。",
        "Pasting is not allowed in the confirmation field: type it.",
    ),
    "notices": (
        "メール通知を希望する情報を選択してください。",
        "Choose the e-mail notices you want.",
    ),
    "notice_points_granted": (
        "各自治体ポイントが付与された場合(いわゆる行政ポイントおよび地域経済応援ポイント)",
        "Municipal points granted (administrative and regional economy support points)",
    ),
    "notice_points_expired": ("各自治体ポイントが失効した場合", "Municipal points expired"),
    "notice_password_changed": ("パスワードを変更した場合", "Password changed"),
    "notice_mykey": (
        "マイキーIDを登録、変更、失効した場合",
        "MyKey ID registered, changed or expired",
    ),
    "default_account": ("基本自治体ポイント口座", "Default municipal point account"),
    "default_account_hint": (
        "自治体ポイントを利用される方は、基本自治体ポイント口座を設定してください。"
        "留保ポイントが一定期間を経過して特定の自治体ポイント口座に移行されなければ、"
        "自動的にこの口座に移行されます。",
        "If you use municipal points, choose your default account: reserved points not "
        "assigned to a municipality within the set period move there automatically.",
    ),
    "default_none": ("設定しない", "Not set"),
    "municipality_unknown": ("その自治体は選択できません。", "No such municipality."),
    "register": ("登録", "Register"),
    "required": ("必須項目", "required"),
    "registered_title": ("マイキーIDを登録しました", "Your MyKey ID is registered"),
    "registered_body": (
        "あなたのマイキーIDは {mykey_id} です。利用者マイページにログインできます。",
        "Your MyKey ID is {mykey_id}. You can now log in to My Page.",
    ),
    "have_mykey": (
        "マイキーIDをお持ちの方(カードを更新した方): 更新前のカードと一緒に窓口端末で読み取った"
        "場合、またはJ-LISの更新情報が届いている場合は、ログインするとこのカードの電子証明書を"
        "マイキーIDに登録します。",
        "I have a MyKey ID (renewed card): if the old card was tapped together with this one "
        "at the counter, or J-LIS's renewal data has arrived, log in to bind this card's "
        "certificate to it.",
    ),
    "rebind_proof_required": (
        "パスワードだけでは新しいカードを登録できません。更新前のカードと一緒に読み取るか、"
        "本人確認書類をお持ちのうえ市区町村の窓口でお手続きください。",
        "A password alone cannot bind a new card. Tap the old card together with the new "
        "one, or bring your identity documents to your municipal office.",
    ),
    "bind": ("ログインしてこのカードを登録", "Log in and bind this card"),
    "bound_title": ("カードを登録しました", "The card is bound"),
    "bound_body": (
        "新しいカードの電子証明書をマイキーID {mykey_id} に登録しました。",
        "The new card's certificate is bound to MyKey ID {mykey_id}.",
    ),
    "already_registered": (
        "このカードは既にマイキーIDに登録されています。",
        "This card is already registered to a MyKey ID.",
    ),
    "ticket_invalid_title": ("このリンクは使用できません", "This link cannot be used"),
    "ticket_invalid": (
        "リンクが無効か、有効期限切れか、既に使用されています。窓口の端末でもう一度"
        "カードをかざしてください。",
        "The link is unknown, expired or already used. Tap your card at a terminal again.",
    ),
    "session_expired": (
        "操作の有効期限が切れました。もう一度お試しください。",
        "Your session expired. Please start again.",
    ),
    "csrf": (
        "不正な要求です。ページを読み込み直してください。",
        "Invalid request: reload the page.",
    ),
    "rate_limited": (
        "操作が多すぎます。しばらくしてからお試しください。",
        "Too many attempts. Please wait a moment.",
    ),
    "login_title": ("利用者マイページ ログイン", "My Page login"),
    "mykey_id": ("マイキーID", "MyKey ID"),
    "login": ("ログイン", "Log in"),
    "logout": ("ログアウト", "Log out"),
    "login_failed": (
        "マイキーIDまたはパスワードが違います。続けて失敗した場合は、少し時間をおいてから"
        "お試しください。",
        "Wrong MyKey ID or password. After repeated failures, wait a little before trying again.",
    ),
    "open_register_body": (
        "窓口で確認したマイナンバーカードで、マイキーIDの登録を始めます。"
        "このリンクは一度だけ使えます。ご本人が「開始する」を押してください。",
        "Start registering a MyKey ID with the My Number Card checked at the counter. "
        "This link works once: press “Start” yourself.",
    ),
    "open_ticket": ("開始する", "Start"),
    "verify_title": ("メールアドレスの確認", "Confirm your e-mail address"),
    "verify_body": (
        "利用者マイページで登録されたメールアドレスを確認します。"
        "ご本人の場合は「確認する」を押してください。",
        "This confirms the e-mail address given on My Page. If it was you, press “Confirm”.",
    ),
    "verify_button": ("確認する", "Confirm"),
    "verify_done": (
        "メールアドレスを確認しました。選んだお知らせがこのアドレスに届きます。",
        "Your e-mail address is confirmed: the notices you chose will be sent to it.",
    ),
    "verify_invalid": (
        "確認用リンクが無効か、有効期限切れか、既に使用されています。"
        "利用者マイページから確認メールを再送してください。",
        "This link is invalid, expired or already used: resend the mail from My Page.",
    ),
    "email_verified": ("確認済み", "confirmed"),
    "email_unverified": (
        "未確認です。確認メールのリンクを開くまで、お知らせは送られません。",
        "not confirmed: no notices are sent until you open the link in the mail we sent.",
    ),
    "resend_verification": ("確認メールを再送する", "Send the confirmation mail again"),
    "email_nothing_to_verify": (
        "確認が必要なメールアドレスはありません。",
        "There is no e-mail address waiting to be confirmed.",
    ),
    "reset_title": ("パスワードの再設定", "Reset your password"),
    "open_reset_body": (
        "窓口（またはご自宅の読み取り機）で確認したマイナンバーカードのマイキーIDについて、"
        "利用者マイページのパスワードを再設定します。このリンクは一度だけ使えます。"
        "ご本人が「開始する」を押してください。",
        "Reset the My Page password of the MyKey ID of the My Number Card just checked. "
        "This link works once: press “Start” yourself.",
    ),
    "reset_intro": (
        "新しいパスワードを入力してください。再設定すると、ほかの端末のログインはすべて"
        "終了します。",
        "Enter a new password. Resetting it ends every other login of this MyKey ID.",
    ),
    "reset_button": ("再設定する", "Reset the password"),
    "reset_done": (
        "パスワードを再設定しました。新しいパスワードでログインしてください。",
        "Your password was reset: log in with the new one.",
    ),
    "forgot_password": (
        "パスワードを忘れた場合は、窓口の端末でマイナンバーカードをかざし、"
        "表示されるリンク（QRコード）から再設定してください。"
        "メールだけで再設定することはできません。",
        "Forgot your password? Tap your My Number Card at a counter terminal and open the "
        "link (QR code) it shows. A password is never reset by e-mail alone.",
    ),
    "mypage_title": ("利用者マイページ", "My Page"),
    "services": ("サービスID", "Service IDs"),
    "service": ("サービス", "Service"),
    "service_id": ("サービスID", "Service ID"),
    "link": ("連携する", "Link"),
    "unlink": ("連携を解除", "Unlink"),
    "no_links": ("連携しているサービスIDはありません。", "No service IDs linked."),
    "service_unknown": ("そのサービスはありません。", "No such service."),
    "service_id_format": (
        "サービスIDの形式が正しくありません。",
        "This service ID does not have the service's format.",
    ),
    "service_id_taken": (
        "このサービスIDは他のマイキーIDに連携されています。",
        "This service ID is linked to another MyKey ID.",
    ),
    "service_linked_already": (
        "このサービスのIDは既に連携しています。解除してから連携してください。",
        "You already linked an ID of this service: unlink it first.",
    ),
    "link_code": ("確認コード(お持ちの場合)", "Linking code (if you have one)"),
    "link_code_invalid": (
        "確認コードが正しくないか、使用済み・期限切れ、または別のサービスID用です。",
        "The linking code is wrong, used, expired or for another service ID.",
    ),
    "link_pending": (
        "まだ図書館で確認されていません(窓口で利用カードをご提示ください)",
        "Not yet confirmed by the library (show your library card at the desk)",
    ),
    "link_confirmed": ("確認済み", "Confirmed"),
    "balances": ("自治体ポイント残高", "Municipal point balances"),
    "municipality": ("自治体", "Municipality"),
    "kind": ("種類", "Kind"),
    "balance": ("残高", "Balance"),
    "expiry": ("次の失効", "Next expiry"),
    "no_balances": ("ポイントはありません。", "No points."),
    "history": ("履歴", "History"),
    "no_history": ("履歴はありません。", "No history."),
    "reserved": ("留保ポイント", "Reserved points"),
    "assign": ("自治体に移行", "Assign to a municipality"),
    "points": ("ポイント", "points"),
    "points_invalid": ("ポイント数を正しく入力してください。", "Enter a number of points."),
    "ledger_insufficient_points": (
        "留保ポイントが足りません。",
        "You do not have that many reserved points.",
    ),
    "ledger_ledger_not_found": (
        "その自治体のポイント口座はありません。",
        "There is no point account of that municipality.",
    ),
    "ledger_malformed": ("ポイント数を正しく入力してください。", "Enter a number of points."),
    "ledger_other": (
        "ポイントを移行できませんでした。時間をおいてもう一度お試しください。",
        "The points could not be moved. Please try again later.",
    ),
    "set_default": ("基本口座に設定", "Set as default"),
    "notice_settings": ("メール通知", "E-mail notices"),
    "save": ("保存", "Save"),
    "change_password": ("パスワード変更", "Change password"),
    "current_password": ("現在のパスワード", "Current password"),
    "new_password": ("新しいパスワード", "New password"),
    "current_password_wrong": ("現在のパスワードが違います。", "The current password is wrong."),
    "change_email": ("メールアドレス変更", "Change e-mail address"),
    "done": ("変更しました。", "Saved."),
    "language": ("English", "日本語"),
}


def pick_lang(query: str | None, cookie: str | None) -> str:
    """``?lang=`` first, then the cookie, else Japanese."""
    for choice in (query, cookie):
        if choice in LANGS:
            return str(choice)
    return DEFAULT_LANG


def translate(key: str, lang: str, **params: object) -> str:
    ja, en = MESSAGES.get(key, (key, key))
    text = en if lang == "en" else ja
    return text.format(**params) if params else text
