"""Whether text names or computes a secret instead of holding one: templates, variables,
format fields, calls and concatenations of code."""

from __future__ import annotations

import re

# A value that names or computes a secret instead of holding one. Anchored alternatives
# must be the whole value; unanchored ones (`${`, `{{`, `%(x)s`, `<%`) are never part of a
# password in practice.
_TEMPLATE_RE = re.compile(
    r"""(
        \$\{[^}]*\}?                             # ${VAR}, ${VAR:-x} (parsers take the default out)
      | ^\$[A-Za-z_][A-Za-z0-9_]*$ | ^\$\(.*\)?$ # $VAR, $(cmd)
      | ^\$(?:\d+|[@*\#?!])$                      # $3, $@: shell positional parameters
      | ^`.*`$                                   # `cmd`
      | ^%[A-Za-z_][A-Za-z0-9_]*%$               # %VAR% (cmd)
      | ^%[sdrvqx]$ | ^%\d*\$?[sdv]$             # printf/%-format: %s %d %v %1$s
      | ^\{\d*\}$ | ^\?$ | ^:[A-Za-z_]\w*$       # {} {0} ? :name (format / bind parameters)
      | \{\d*(?:![rsa]|:[^{}]{1,20})\}           # {!r}, {0:>8}: an unnamed format field
      | \{\{.*\}\}? | \{\{                       # {{ .Values.x }}, {{password}}
      | \{%.*%\}                                 # jinja statements
      | %\([A-Za-z_][A-Za-z0-9_]*\)[sdr]         # %(password)s
      | ^\{[A-Za-z_][A-Za-z0-9_.\[\]'"]*\}$      # {password} (str.format / f-string field)
      | ^\{[A-Za-z_][\w.]*(?:[\[(]|$)            # {pw['x']} / {f(x)} / {pw cut short
      # {pw}, {self.pw}, {pw!r}, {pw:>8} inside a value
      | \{[A-Za-z_]\w*(?:\.\w+|\[[^\]]{0,20}\])*(?:![rsa])?(?::[^{}]{0,20})?\}
      | ^\{\$?[A-Za-z_][\w.]*\}$                 # {$var} (PHP)
      | ^<[^<>]{1,60}>$                          # <password>, <your-password>
      | (?:^|[$:@/=\s])<[A-Za-z][\w .-]{0,40}>   # SCRAM-SHA-256$<iteration count>:<salt>
      | ^\[[A-Za-z_ -]{1,40}\]$                  # [password], [REDACTED]
      | <%=?.*%>? | ^<%                          # ERB
      | \#\{                                     # Ruby interpolation, even cut short
      | ^(env|ENV|getenv|os\.getenv|secret|var|local|data|random_password)[.(\[]
      | ^os\.environ | ^process\.env\b | ^System\.getenv | ^Environment\.Get
      | ^System\.(?:get_env|fetch_env) | ^Deno\.env\b            # Elixir, Deno
      | ^(?:std::)?(?:env|dotenvy?)::var                        # Rust's env::var(…)
      | ^\$env:[A-Za-z_]\w*$                     # PowerShell env
      | ^\$\$[A-Za-z_{]                          # escaped $ in compose/make
      | ^@[A-Za-z_][\w.-]*@$                     # @token@ (Maven/Ant filtering)
      | ^__[A-Z0-9_]+__$                         # __PASSWORD__ (sed-replaced tokens)
      | ^\$\{?\{?secrets\.                       # GitHub Actions ${{ secrets.X }}
      | ^(?P<q>["'])\$\{?[A-Za-z_]\w*\}?(?P=q)$   # '"$PW"': a shell variable in quotes
      | ^(?:~|\.{1,2})?/[\w./-]*pgpass[\w.-]*$   # pgpass: /tmp/pgpass0: the password file
      | ^\(\(.*\)\)$                             # ((password)) Concourse vars
      # a secret manager's reference: 1Password op://vault/item/field, AWS Secrets Manager
      # and SSM ARNs, Azure Key Vault app settings, GCP Secret Manager resource names
      | ^op://[^/\n]+/[^/\n]+/[^\n]+$               # (vault and item names hold spaces)
      | ^(?:vault|sm|gsm|akv|doppler|infisical|bws|keeper|secretsmanager)://\S+$
      | ^arn:aws[\w-]*:(?:secretsmanager|ssm):\S+$
      | ^@Microsoft\.KeyVault\(.*\)?$
      | ^projects/[\w.-]+/secrets/[\w.-]+(?:/versions/[\w.-]+)?$
      | ^[A-Za-z_][\w.]*\(.*\)$                  # get_secret("db"): a call in code
      | ^[A-Za-z_][\w.]{2,}\($                    # generate_password(  a call over several lines
      | ^(?:self|this|cls)\.[A-Za-z_][\w.]*$        # self.configuration.get: code's own field
      | ^[A-Za-z_]\w*(?:\.\w+)*\[["']?[\w.-]+["']?\]$  # credentials["DbPassword"]: an index
      | ^\.\* | ^\$\{?[A-Za-z_]\w*\}?/[gip]*$     # sed's s/PW=.*/PW=$PW/g: an expression
      # base64.b64decode(…), os.getenv(…, cut short by a quote, or only the function's name
      | ^(?:base64|binascii|codecs|keyring|getpass|vault|boto3|ssm|json|yaml|config|settings
         |os|sys|secrets|Buffer|atob|decrypt|decode)(?:\.[A-Za-z_]\w*)*(?:\(.*)?$
      | ^[A-Za-z_]\w*(?:\.\w+)*\.(?:[A-Z][A-Z0-9_]*|\w*(?:pass|pw|secret)\w*)$  # settings.DB_PW
    )""",
    re.VERBOSE,
)
# `" + pw + "`, `' + password`, `"" + x`: the string was built in code.
_CONCAT_RE = re.compile(
    r"""['"]\s*\+\s*[\w(]|[\w)\]]\s*\+\s*['"]|^\s*\+\s*\w|\s\.\s*\$\w|['"]\s*\.\s*\$"""
)


def is_template(text: str) -> bool:
    """A reference to a value kept elsewhere (`${DB_PASSWORD}`, `{{ .Values.pw }}`, `%s`,
    `os.environ[...]`) or a string built in code (`" + pw + "`)."""
    return _TEMPLATE_RE.search(text) is not None or _CONCAT_RE.search(text) is not None
