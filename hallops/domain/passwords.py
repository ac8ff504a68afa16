"""The password rule of staff accounts: a length, and not a common password.

Length is counted in characters (a Chinese passphrase counts as typed). Common passwords are those of
zxcvbn's ranked list (30,000 passwords from leaked sets, maintained with the zxcvbn library) and a few that
lead the lists of Chinese leaks (the 2011 CSDN and 2012 Tianya sets as reported in published analyses,
e.g. Wang Ding et al., "The tangled web of password reuse", 2014), compared without case.
"""

from __future__ import annotations

from functools import lru_cache

from hallops.domain.errors import E, InvalidInput

MIN_LENGTH = 10
MAX_LENGTH = 128

# The heads of the Chinese leaks that zxcvbn's English-centred list lacks.
CHINESE_COMMON = frozenset({
    "woaini1314", "woaini520", "5201314520", "1314520520", "a123456789", "qq123456789", "123456789a",
    "abc123456789", "aa123456789", "woaini123456", "zhang123456", "wang123456", "li123456789", "qwe123456789",
    "admin12345", "admin123456", "password123", "1qaz2wsx3edc", "123qweasdzxc", "zxcvbnm123", "1234567890a",
    "asdfghjkl123", "iloveyou1314", "88888888888", "66666666666", "0123456789", "9876543210", "147258369",
    "1472583690", "zhanghao123", "huawei123456",
})


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | CHINESE_COMMON


def is_common(password: str) -> bool:
    return password.lower() in _common()


def check_password(password: str, *, username: str = "") -> None:
    """Refuse a password that is too short, too long, common, or the username itself."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(E.WEAK_PASSWORD, f"密码至少 {MIN_LENGTH} 位 (password must have at least {MIN_LENGTH} "
                                            "characters)", field="password")
    if len(password) > MAX_LENGTH:
        raise InvalidInput(E.PASSWORD_TOO_LONG, f"密码最多 {MAX_LENGTH} 位 (password must have at most "
                                                f"{MAX_LENGTH} characters)", field="password")
    lowered = password.lower()
    if is_common(password) or (username and username.lower() in lowered) or len(set(lowered)) < 4:
        raise InvalidInput(E.COMMON_PASSWORD, "密码过于常见或易猜，请换一个 (this password is too common or easy to "
                                              "guess; choose another)", field="password")
