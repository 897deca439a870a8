"""Privacy: the secret pseudonymisation key and the keyed tokens made with it."""

from youth_safety.privacy.keys import SecretKeyError, ensure_development_key, key_id, load_key
from youth_safety.privacy.tokens import ROLES, tokenise

__all__ = ["ROLES", "SecretKeyError", "ensure_development_key", "key_id", "load_key", "tokenise"]
