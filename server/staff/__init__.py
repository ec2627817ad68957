"""Staff accounts: the people who grant and approve municipal points, each with a
credential of their own (a staff PIN or a TOTP authenticator)."""
