"""What a Key Vault 403 inside a mount error says: which gate refused, who asked, for what, in which vault.

Key Vault answers a refused request with one of three bodies (docs/azure-rules.md §kv-denials):

- Azure RBAC (``ForbiddenByRbac``): "Caller is not authorized to perform action on resource. ...
  Caller: appid=...;oid=...;iss=... Action: '...' Resource: '...' Assignment: (not found) ...
  Vault: <name>;location=...";
- access policies (code ``Forbidden``, inner ``AccessDenied`` on older answers): "The user, group or
  application 'appid=...;oid=...;iss=...' does not have secrets get permission on key vault
  '<name>;location=...'" (older: "Access denied. Caller was not found on any access policy. Caller:
  ... Vault: ...");
- the vault's firewall (``ForbiddenByFirewall``): "Client address is not authorized and caller is not
  a trusted service. Client address: ... Caller: ... Vault: ...".

The body reaches the event through several hands, so the reader is lenient: the provider wraps it in
"failed to get objectType:secret, objectName:x, ..."; go-autorest quotes the message with Go's %q
(line breaks become the text ``\\r\\n``), azcore prints the JSON body indented (real line breaks,
``\\r\\n`` kept as JSON escapes), log lines escape quotes (``\\"``), threads lose backslashes
(`` r n``), and messages are often cut. A field that is not in the text is None, never guessed. Which
body it is comes from the catalogue's cause (one set of patterns); this module reads the fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keyvault_csi.rules.choices import PermissionModel
from keyvault_csi.rules.grants import FAMILIES

# The permission models as keyVault.permissionModel spells them (rules.choices), and the firewall's gate.
RBAC, ACCESS_POLICY, FIREWALL = PermissionModel.RBAC.value, PermissionModel.ACCESS_POLICY.value, "firewall"

# Object kind per permission family / data-action segment ("secrets" -> "secret"), from the one mapping.
OBJECT_TYPES = {family: object_type for object_type, family in FAMILIES.items()}

# The catalogue tells the three bodies apart (doctor/catalogue.py); this is the model each of its causes names.
MODEL_OF_CAUSE: dict[str, str | None] = {
    "vault-firewall": FIREWALL,
    "rbac-denied": RBAC,
    "access-policy-denied": ACCESS_POLICY,
    "permission-denied": None,
}
# Line breaks as they arrive: text "\r\n" (Go %q, JSON escapes; "\\r\\n" once more escaped in a log line),
# "\ r\n" (hand-edited), " r n" (a thread dropped the backslashes), real CR/LF (azcore's indented body).
_BREAK = re.compile(r"\\+\s?r\\+n|\\+n|\r?\n| r n(?=[A-Z])")
_ESCAPED_QUOTE = re.compile(r'\\+"')
_VALUE = r"([^;'\"\s\\,]+)"
_APPID = re.compile(r"\bappid=" + _VALUE, re.IGNORECASE)
_OID = re.compile(r"\boid=" + _VALUE, re.IGNORECASE)
_VAULT = (
    re.compile(r"\bVault: ([^;'\"\s\\]+)", re.IGNORECASE),
    re.compile(r"on key vault '([^;']+)", re.IGNORECASE),
    re.compile(r"/providers/microsoft\.keyvault/vaults/([^/'\"\s\\]+)", re.IGNORECASE),
    re.compile(r"https://([A-Za-z0-9-]+)\.vault\.", re.IGNORECASE),
)
# The provider's own wrapper names the object (provider pkg/provider/provider.go wrapObjectTypeError).
_OBJECT = re.compile(r"objectType:(\w+), objectName:([^,\s]+)", re.IGNORECASE)
_ACTION = re.compile(r"\bAction: '([^']+)", re.IGNORECASE)
_ACTION_KIND = re.compile(r"/vaults/(secrets|keys|certificates)/", re.IGNORECASE)
# An object's path: in RBAC's Resource ('.../vaults/<vault>/secrets/<name>') or azcore's request line.
_OBJECT_PATH = re.compile(
    r"(?:/vaults/[^/'\"\s]+|\.vault\.[^/'\"\s]+)/(secrets|keys|certificates)/([^/'\"\s\\?]+)", re.IGNORECASE
)
_PERMISSION_FAMILY = re.compile(r"(secrets|keys|certificates)\b", re.IGNORECASE)
_PERMISSION = re.compile(r"does not have (secrets|keys|certificates) (\w+) permission", re.IGNORECASE)
_CLIENT_ADDRESS = re.compile(r"Client address: ([^\n\"]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Denial:
    """The fields of one Key Vault 403; None where the message does not carry them."""

    model: str | None  # rbac | accessPolicy | firewall; None: a 403 whose body says neither
    appid: str | None = None  # the caller's client (application) ID
    oid: str | None = None  # the caller's object (principal) ID
    vault: str | None = None
    object_type: str | None = None  # the provider's objectType: secret | key | cert
    object_name: str | None = None
    action: str | None = None  # RBAC data action, e.g. Microsoft.KeyVault/vaults/secrets/getSecret/action
    permission: str | None = None  # access policies: the missing permission, e.g. "secrets get"
    client_address: str | None = None  # firewall: the address Key Vault saw

    @property
    def family(self) -> str | None:
        """The permission family of the refused object: secrets, keys or certificates."""
        if self.object_type and self.object_type in FAMILIES:
            return FAMILIES[self.object_type]
        for text in (self.permission, self.action):
            found = text and (_PERMISSION_FAMILY.match(text) or _ACTION_KIND.search(text))
            if found:
                return found.group(1).lower()
        return None

    @property
    def verb(self) -> str | None:
        """get or list: what the provider was doing (list: the versions of an object with history)."""
        if self.permission:
            return self.permission.split()[-1].lower()
        if self.action:
            return "list" if self.action.lower().endswith("/readmetadata/action") else "get"
        return None

    def describe(self) -> str:
        """One line for the text output."""
        caller = ", ".join(f"{k} {v}" for k, v in (("appid", self.appid), ("oid", self.oid)) if v)
        parts = [f"caller {caller}" if caller else "caller not in the message"]
        parts.append(f"vault {self.vault}" if self.vault else "vault not in the message")
        if self.object_type or self.object_name:
            parts.append(f"{self.object_type or 'object'} {self.object_name or '?'!r}")
        if self.action:
            parts.append(f"action {self.action}")
        if self.permission:
            parts.append(f"needs {self.permission} permission")
        if self.client_address:
            parts.append(f"client address {self.client_address}")
        return "; ".join(parts)

    def as_json(self) -> dict[str, str | None]:
        return {
            "model": self.model,
            "appid": self.appid,
            "oid": self.oid,
            "vault": self.vault,
            "objectType": self.object_type,
            "objectName": self.object_name,
            "action": self.action,
            "permission": self.permission,
            "clientAddress": self.client_address,
        }


def _first(pattern: re.Pattern[str], text: str) -> str | None:
    found = pattern.search(text)
    return found.group(1) if found else None


def normalise(message: str) -> str:
    """The message with every spelling of a line break as one newline and quotes unescaped."""
    return _BREAK.sub("\n", _ESCAPED_QUOTE.sub('"', message))


def read_denial(message: str, cause: str) -> Denial | None:
    """The fields of the Key Vault 403 in ``message``, which the catalogue classified as ``cause``.

    None for a cause that is not a Key Vault 403.
    """
    if cause not in MODEL_OF_CAUSE:
        return None
    model = MODEL_OF_CAUSE[cause]
    text = normalise(message)
    object_type, object_name = None, None
    wrapped = _OBJECT.search(text)
    if wrapped:
        object_type, object_name = wrapped.group(1).lower(), wrapped.group(2)
    else:
        named = _OBJECT_PATH.search(text)
        if named:
            object_type, object_name = OBJECT_TYPES.get(named.group(1).lower()), named.group(2)
    permission = _PERMISSION.search(text)
    address = _first(_CLIENT_ADDRESS, text) if model == FIREWALL else None
    return Denial(
        model=model,
        appid=_first(_APPID, text),
        oid=_first(_OID, text),
        vault=next((v for v in (_first(p, text) for p in _VAULT) if v), None),
        object_type=object_type,
        object_name=object_name,
        action=_first(_ACTION, text),
        permission=f"{permission.group(1).lower()} {permission.group(2).lower()}" if permission else None,
        client_address=address.strip() if address else None,
    )
