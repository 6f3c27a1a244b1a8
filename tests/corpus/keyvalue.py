"""Secrets written as ``key: value`` or ``key=value`` for the labelled corpus, and their hard negatives.

The masker's key-value rules (docs/masking.md, ``API_KEY`` rule ``secret_assignment`` and
``AWS_ACCESS_KEY`` rule ``aws_secret``) mask the value alone after a key name ending in
``password``, ``passwd``, ``pwd``, ``secret``, ``secret_key``, ``api_key``, ``apikey`` or ``token``
(``secret_access_key`` and the like for AWS), the separator ``=`` or ``:``, spaces and an optional
quote. This module models those documented rules (:func:`generic_secret`, :func:`aws_secret`) so that
every planted value is one the rules take, and every negative is one they leave alone:

* a generic value has 8-256 bytes, is no placeholder, and its Shannon entropy is at least 3.5 bits
  per byte with one class of characters (lower case; upper case after the first byte; digits;
  others), 3.0 with two, 2.5 with three or four;
* an AWS secret access key is exactly 40 characters of ``[A-Za-z0-9/+]`` with entropy >= 3.0;
* after ``:`` (not a trigger of the scanner) the value's first word must hold a trigger byte: a
  digit, ``_``, ``-``, ``@``, ``A`` or ``J`` (a documented limit: ``password: XkqZpLmWvRtYbNcQ`` is
  not found), so a value planted after ``:`` always holds one; letters-only values go after ``=``.

The documents (:data:`FORMS`) are what a model writes when it shows configuration: a YAML file, a
``.env`` file, HTTP headers and a curl command, JSON quoted in prose (also escaped inside a JSON
string), a Python settings module and dict literals, a TOML file, log lines with ``password=`` and
``token:``. Around the labelled values: placeholders (``${DB_PASSWORD}``, ``<your-token>``,
``changeme``, ``xxxxxxxx``, ``***``, ``%(password)s``...), low-entropy values (``hunter22``,
``12345678``), code (``token: self.token``, ``password = getPassword()``, ``os.environ[...]``),
prose (``Password: see the vault``, ``Token: 2024-01-01``), key names that are not keys
(``tokens=``, ``max_tokens=``, ``token_type=``, ``monkey=``, ``session_id=`` with a high-entropy
value), the shell's ``PWD=``, timestamps (``12:30:45``) and URLs (``token_url: https://...``).

Values are random; the same Random gives the same documents. Templates use the placeholder syntax
of tests/corpus/generate.py (``{PW}`` is replaced by a value, ``{{``/``}}`` are literal braces).
"""
from __future__ import annotations

import math
import random
import string
from collections import Counter
from typing import Callable, Dict, List, Tuple

# --- the documented rules ----------------------------------------------------------------------------

#: Bytes that start the scanner's examination of a span (besides '='), and the delimiters that
#: end the first word of a value after ':' (lib/mask/builtin.h: kBuiltinTriggers, kBuiltinDelimiters).
TRIGGERS = frozenset(string.digits + "@_-AJ")
DELIMITERS = frozenset("\"'<>{}[]`,;|\\")
#: A bare (unquoted) value runs to whitespace or one of these.
BARE_END = frozenset(" \t\r\n\"'`,;&<>)]}\\")

_PLACEHOLDER_WORDS = ("changeme", "password", "passw0rd", "secret", "null", "none", "true", "false",
                      "undefined", "example", "placeholder", "redacted", "required", "optional",
                      "string", "hidden", "masked", "notasecret")
_PLACEHOLDER_PARTS = ("xxxx", "****", "...", "your_", "your-", "<", "example", "placeholder",
                      "changeme", "redacted", "dummy", "process.env", "os.environ", "getenv", "(")
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/")


def entropy(value: str) -> float:
    """Shannon entropy of the value's UTF-8 bytes, in bits per byte."""
    data = value.encode()
    n = len(data)
    return -sum(k / n * math.log2(k / n) for k in Counter(data).values()) if n else 0.0


def char_classes(value: str) -> int:
    """Lower case; upper case after the first byte (a capitalized word is one class); digits; others."""
    lower = any(c.islower() and c.isascii() for c in value)
    upper = any(c.isupper() and c.isascii() for c in value[1:])
    digit = any(c.isdigit() and c.isascii() for c in value)
    other = any(not (c.isascii() and c.isalnum()) for c in value)
    return lower + upper + digit + other


def entropy_floor(classes: int) -> float:
    return 3.5 if classes <= 1 else 3.0 if classes == 2 else 2.5


def is_placeholder(value: str) -> bool:
    if not value or value[0] in "${%[<*(" or len(set(value)) == 1:
        return True
    low = value.lower()
    return low in _PLACEHOLDER_WORDS or any(part in low for part in _PLACEHOLDER_PARTS)


def first_word_has_trigger(value: str) -> bool:
    for c in value:
        if c.isspace() or c in DELIMITERS:
            return False
        if c in TRIGGERS:
            return True
    return False


def is_bare_value(value: str) -> bool:
    """The whole value is read when it stands unquoted (no byte ends it, no final '.')."""
    return bool(value) and not any(c in BARE_END for c in value) and not value.endswith(".")


def generic_secret(value: str, colon: bool, quoted: bool) -> bool:
    """Whether secret_assignment masks this value after a generic key name (e.g. 'password')."""
    if not 8 <= len(value.encode()) <= 256 or is_placeholder(value) or value[0] in "=:":
        return False
    if not quoted:
        if not is_bare_value(value):
            return False
        if "." in value and all(c.isalpha() or c in "_." for c in value):
            return False  # a dotted name: code
    elif any(c in "\"\n\\" for c in value):
        return False
    if colon and not first_word_has_trigger(value):
        return False
    return entropy(value) >= entropy_floor(char_classes(value))


def aws_secret(value: str, colon: bool) -> bool:
    """Whether aws_secret masks this value after an AWS secret key name."""
    return (len(value) == 40 and set(value) <= _BASE64 and entropy(value) >= 3.0
            and (not colon or first_word_has_trigger(value)))


# --- planted values ------------------------------------------------------------------------------------

_WORDS = ["maple", "orbit", "falcon", "harbor", "copper", "violet", "summit", "lantern", "cobalt",
          "meadow", "tundra", "ember", "quartz", "willow", "saffron", "glacier", "pepper", "rocket"]
_SYMBOLS = "!#%^*+-_@~?"
_URLSAFE = string.ascii_letters + string.digits + "_-"
_HEX = "0123456789abcdef"


def _draw(r: random.Random, make: Callable[[random.Random], str], ok: Callable[[str], bool]) -> str:
    while True:
        value = make(r)
        if ok(value):
            return value


def _password_shape(r: random.Random) -> str:
    style = r.randrange(4)
    if style == 0:  # random characters, a symbol or two
        n = r.randint(10, 22)
        alphabet = string.ascii_letters + string.digits * 2 + _SYMBOLS
        return r.choice(string.ascii_letters + string.digits) + "".join(r.choice(alphabet) for _ in range(n - 1))
    if style == 1:  # words, digits, a symbol: "Maple-Orbit-42!"
        words = [w.capitalize() if r.random() < 0.7 else w for w in r.sample(_WORDS, r.randint(2, 3))]
        sep = r.choice(["-", "_", "", "."])
        return sep.join(words) + sep + str(r.randint(10, 9999)) + r.choice(["", "!", "#", "?", "@"])
    if style == 2:  # a season or word and a year: "Summer2024!"
        return r.choice(["Summer", "Winter", "Autumn", "Spring", "Welcome", "Dragon", "Monkey"]) + \
            str(r.randint(1990, 2030)) + r.choice(["!", "#", "@", "$", "*", "?"])
    # leetspeak: "S3cr3tP@ssw0rd!"-like
    word = "".join(r.sample(_WORDS, 2))
    table = {"a": "@", "e": "3", "o": "0", "i": "1", "s": "5"}
    out = "".join(table[c] if c in table and r.random() < 0.6 else c.upper() if r.random() < 0.2 else c
                  for c in word)
    return out[0].upper() + out[1:] + r.choice(["", "!", "1", "#"])


def gen_password(r: random.Random) -> str:
    """A password the generic rule masks after '=' or ':', bare or quoted."""
    return _draw(r, _password_shape,
                 lambda v: generic_secret(v, colon=True, quoted=False) and generic_secret(v, colon=True, quoted=True))


def _token_shape(r: random.Random) -> str:
    style = r.randrange(5)
    if style == 0:
        return "".join(r.choice(_HEX) for _ in range(r.choice([32, 40, 64])))
    if style == 1:
        return r.choice(string.ascii_letters) + "".join(r.choice(_URLSAFE) for _ in range(r.randint(23, 47)))
    if style == 2:  # base64 of random bytes, sometimes with its padding
        raw = "".join(r.choice(string.ascii_letters + string.digits + "+/") for _ in range(r.choice([22, 27, 43])))
        return r.choice(string.ascii_letters) + raw + r.choice(["", "=", "=="])
    if style == 3:  # an app's own prefix: "tok_...", "sess-..."
        return r.choice(["tok_", "app_", "key_", "sess-", "svc_", "live_"]) + "".join(
            r.choice(string.ascii_letters + string.digits) for _ in range(r.randint(20, 40)))
    return "".join(r.choice(_HEX) for _ in range(8)) + "-" + "".join(r.choice(_HEX) for _ in range(24))


def gen_token(r: random.Random) -> str:
    """An API token the generic rule masks after '=' or ':', bare or quoted."""
    return _draw(r, _token_shape,
                 lambda v: generic_secret(v, colon=True, quoted=False) and generic_secret(v, colon=True, quoted=True))


def gen_alpha_secret(r: random.Random) -> str:
    """Letters only (no trigger byte): masked after '=', a documented miss after ':'; planted after '='."""
    return _draw(r, lambda r: "".join(r.choice(string.ascii_letters) for _ in range(r.randint(14, 32))),
                 lambda v: generic_secret(v, colon=False, quoted=False) and not first_word_has_trigger(v))


def gen_aws_secret(r: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits + "+/"
    return _draw(r, lambda r: "".join(r.choice(alphabet) for _ in range(40)), lambda v: aws_secret(v, colon=True))


#: Planted values: placeholder -> (entity, generator).
POSITIVES: Dict[str, Tuple[str, Callable[[random.Random], str]]] = {
    "PW": ("API_KEY", gen_password),
    "TOK": ("API_KEY", gen_token),
    "ALPHA_SECRET": ("API_KEY", gen_alpha_secret),
    "AWS_SECRET": ("AWS_ACCESS_KEY", gen_aws_secret),
}

# --- hard negatives --------------------------------------------------------------------------------------

#: Values that stand for a secret (each one the rules leave alone after a generic key, bare or quoted).
PLACEHOLDERS = [
    "${DB_PASSWORD}", "${API_TOKEN}", "$SECRET_KEY", "${{ secrets.DEPLOY_TOKEN }}", "<your-token>",
    "<password>", "<YOUR_API_KEY>", "changeme", "CHANGEME", "xxxxxxxx", "XXXXXXXXXXXX", "***",
    "********", "%(password)s", "[REDACTED]", "REDACTED", "your_api_key_here", "your-secret-here",
    "{{ .Values.db.password }}", "dummy_token_123", "example-token-1234", "placeholder", "null",
    "none", "undefined", "<redacted>", "***redacted***", "notasecret", "...",
]
#: Weak values below the entropy floor (a real password, but the rules need entropy).
LOW_ENTROPY = ["hunter22", "12345678", "letmein1", "abcdefgh", "qwertyuiop", "11111111", "password1",
               "iloveyou", "trustno1", "sunshine", "12341234", "aabbccdd", "00000000", "987654321"]


def gen_placeholder(r: random.Random) -> str:
    return r.choice(PLACEHOLDERS)


def gen_low_entropy(r: random.Random) -> str:
    return r.choice(LOW_ENTROPY)


def gen_iso_date(r: random.Random) -> str:
    return f"{r.randint(2019, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"


def gen_clock(r: random.Random) -> str:
    return f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}"


def gen_random_id(r: random.Random) -> str:
    """A high-entropy value after a key that is no secret's (session_id=, monkey=, tokens=)."""
    return _token_shape(r)


def gen_domain(r: random.Random) -> str:
    return r.choice(["acme", "globex", "initech", "hooli", "contoso", "northwind"]) + "." + r.choice(
        ["example", "test", "internal"])


def gen_bcrypt(r: random.Random) -> str:
    """A bcrypt hash: '$2b$', cost, '$', 53 characters (a password's hash, not the password)."""
    alphabet = "./" + string.ascii_letters + string.digits
    return f"$2b${r.choice([10, 12, 14])}$" + "".join(r.choice(alphabet) for _ in range(53))


NEGATIVES: Dict[str, Callable[[random.Random], str]] = {
    "PLACEHOLDER": gen_placeholder, "LOW_ENTROPY": gen_low_entropy, "ISO_DATE": gen_iso_date,
    "CLOCK": gen_clock, "RANDOM_ID": gen_random_id, "DOMAIN": gen_domain,
    "BCRYPT": gen_bcrypt,
    "SMALL": lambda r: str(r.choice([1, 3, 5, 30, 60, 300, 3600, 4096, 8192, 128000])),
}

# --- documents --------------------------------------------------------------------------------------------
# Each form returns a template: a list of lines, some of them a labelled value after its key, some a
# negative, some plain configuration.

_GENERIC_KEYS_SNAKE = ["password", "db_password", "passwd", "client_secret", "secret", "secret_key",
                       "api_key", "apikey", "token", "access_token", "auth_token", "refresh_token",
                       "bot_token", "webhook_secret", "smtp_password", "admin_pwd", "private_token",
                       "jwt_secret", "encryption_key_secret", "redis_password", "master_password"]
_GENERIC_KEYS_CAMEL = ["dbPassword", "clientSecret", "apiKey", "accessToken", "authToken",
                       "refreshToken", "webhookSecret", "adminPassword", "botToken"]
_GENERIC_KEYS_ENV = ["DB_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "SECRET_KEY",
                     "DJANGO_SECRET_KEY", "API_KEY", "OPENAI_API_KEY", "SLACK_BOT_TOKEN", "ACCESS_TOKEN",
                     "JWT_SECRET", "SMTP_PASSWD", "ADMIN_PWD", "GITLAB_TOKEN", "SENTRY_AUTH_TOKEN",
                     "MYSQL_ROOT_PASSWORD", "CLIENT_SECRET", "APIKEY"]
_HEADER_KEYS = ["X-Api-Key", "X-API-Key", "X-Auth-Token", "X-Access-Token", "Api-Key",
                "X-Webhook-Secret", "Private-Token", "X-Vault-Token", "X-Session-Token"]
_AWS_KEYS = ["aws_secret_access_key", "AWS_SECRET_ACCESS_KEY", "SecretAccessKey", "secretAccessKey",
             "aws_secret_key", "AWS_SECRET"]
#: Key names that are not a secret's (they may hold a key word, or end like one).
_NOT_KEYS = ["tokens", "max_tokens", "token_type", "token_count", "monkey", "turkey", "session_id",
             "request_id", "trace_id", "public_key", "password_hint", "secret_name", "token_endpoint",
             "api_key_id", "tokenizer", "password_min_length", "nonce", "checksum", "etag"]
_NOT_KEYS_ENV = ["MAX_TOKENS", "TOKEN_TYPE", "SESSION_ID", "PUBLIC_KEY", "SECRET_NAME", "TOKEN_TTL",
                 "REQUEST_ID", "PASSWORD_MIN_LENGTH", "BUILD_SHA"]


def _generic_key(r: random.Random, camel: bool = False) -> str:
    return r.choice(_GENERIC_KEYS_CAMEL if camel and r.random() < 0.6 else _GENERIC_KEYS_SNAKE)


def _secret(r: random.Random, colon: bool) -> str:
    """A labelled placeholder for a generic value (letters-only ones only after '=')."""
    x = r.random()
    if not colon and x < 0.15:
        return "{ALPHA_SECRET}"
    return "{PW}" if x < 0.55 else "{TOK}"


def _negative_value(r: random.Random) -> str:
    return r.choice(["{PLACEHOLDER}", "{PLACEHOLDER}", "{LOW_ENTROPY}"])


def _yaml(r: random.Random) -> List[str]:
    intro = r.choice(["Here is the `config.yaml` with the credentials filled in:",
                      "Your `docker-compose.yml` would look like this:",
                      "The Helm values I ended up with:", "Sure, this is the settings file:"])
    q = lambda v: r.choice(['{}', '"{}"', "'{}'"]).format(v)  # noqa: E731
    lines = [intro, "", "```yaml", "database:", "  host: db.internal", "  port: 5432",
             f"  user: app_{r.randint(1, 99)}", f"  {_generic_key(r)}: {q(_secret(r, True))}"]
    if r.random() < 0.7:
        lines += ["aws:", "  region: eu-west-1", "  aws_access_key_id: {AWS}",
                  f"  {r.choice(_AWS_KEYS)}: {q('{AWS_SECRET}')}"]
    lines += ["api:", f"  base_url: https://api.{{DOMAIN}}/v{r.randint(1, 3)}",
              f"  {_generic_key(r, camel=True)}: {q(_secret(r, True))}",
              f"  {r.choice(_NOT_KEYS)}: {r.choice(['{RANDOM_ID}', '{SMALL}'])}",
              f"  token_url: https://auth.{{DOMAIN}}/oauth2/token",
              f"  timeout: {r.randint(5, 120)}s"]
    if r.random() < 0.3:  # a value another detector knows keeps its own entity
        lines += ["oidc:", "  id_token: {JWT}", "  password_file: /run/secrets/db_password"]
    lines += ["cache:", f"  {_generic_key(r)}: {q(_negative_value(r))}",
              "  password: *db_password" if r.random() < 0.3 else "  password_salt_rounds: 12",
              f"  flush_at: \"{{CLOCK}}\"", "  ttl: {SMALL}"]
    if r.random() < 0.5:
        lines += ["smtp:", "  host: smtp.{DOMAIN}", "  username: {EMAIL}",
                  f"  {r.choice(['password', 'smtp_password'])}: {q(r.choice(['{PW}', '{PLACEHOLDER}']))}"]
    lines += ["```"]
    return lines


def _env(r: random.Random) -> List[str]:
    lines = [r.choice(["Create a `.env` file next to `manage.py`:", "The `.env` I use locally:",
                       "Put these in your environment (never commit them):"]), "", "```bash"]
    ex = "export " if r.random() < 0.3 else ""
    q = lambda v: r.choice(['{}', '{}', '"{}"', "'{}'"]).format(v)  # noqa: E731
    pool = [
        f"{ex}{r.choice(_GENERIC_KEYS_ENV)}={q(_secret(r, False))}",
        f"{ex}{r.choice(_GENERIC_KEYS_ENV)}={q(_secret(r, False))}",
        f"{ex}{r.choice(_GENERIC_KEYS_ENV)}={q(_negative_value(r))}",
        f"{ex}{r.choice(_NOT_KEYS_ENV)}={r.choice(['{RANDOM_ID}', '{SMALL}'])}",
        f"{ex}DB_HOST={{IPV4}}", f"{ex}DB_PORT=5432", f"{ex}DEBUG=false", f"{ex}GITHUB_TOKEN={{APIKEY}}",
        f"PWD=/srv/app_{r.randint(1, 9)}/current",
        f"{ex}TOKEN_URL=https://auth.{{DOMAIN}}/oauth/token",
    ]
    if r.random() < 0.7:
        pool += [f"{ex}AWS_ACCESS_KEY_ID={{AWS}}", f"{ex}AWS_SECRET_ACCESS_KEY={q('{AWS_SECRET}')}"]
    r.shuffle(pool)
    return lines + pool + ["```"]


def _headers(r: random.Random) -> List[str]:
    key = r.choice(_HEADER_KEYS)
    if r.random() < 0.5:
        return [r.choice(["The raw request looked like this:", "Here is the request the client sent:"]), "",
                "```http", f"POST /v{r.randint(1, 3)}/events HTTP/1.1", "Host: api.{DOMAIN}",
                f"{key}: {{TOK}}", "Content-Type: application/json", "X-Request-Id: {UUID}",
                f"Date: Mon, 07 Dec 2026 {{CLOCK}} GMT", "X-Token-Type: bearer",
                f"{r.choice(_HEADER_KEYS)}: {r.choice(['{PLACEHOLDER}', '<your-api-key>'])}", "```"]
    return ["Try it with curl:", "", "```bash",
            f"curl -s -H \"{key}: {{TOK}}\" -H \"Accept: application/json\" \\",
            f"  https://api.{{DOMAIN}}/v1/items?page=2",
            f"curl -s -H \"{r.choice(_HEADER_KEYS)}: {{PLACEHOLDER}}\" https://api.{{DOMAIN}}/v1/me",
            f"curl \"https://hooks.{{DOMAIN}}/reset?user={{SMALL}}&token={{TOK}}\"", "```"]


def _json_prose(r: random.Random) -> List[str]:
    k1, k2 = _generic_key(r, camel=True), _generic_key(r, camel=True)
    if r.random() < 0.5:
        return [f"The request body was `{{{{\"username\": \"app_{r.randint(1, 99)}\", \"{k1}\": \"{{PW}}\"}}}}` "
                f"and the server answered 401.",
                f"The response had `{{{{\"token_type\": \"Bearer\", \"expires_in\": {{SMALL}}, "
                f"\"{k2}\": \"{{TOK}}\"}}}}`; "
                f"the earlier one had `{{{{\"{k1}\": \"{{PLACEHOLDER}}\"}}}}`."]
    if r.random() < 0.5:  # escaped JSON inside a JSON string (a tool call's arguments)
        return ["The tool call was:", "",
                f"{{{{\"name\": \"http_post\", \"arguments\": \"{{{{\\\"{k1}\\\": \\\"{{TOK}}\\\", "
                f"\\\"max_tokens\\\": {{SMALL}}}}}}\"}}}}"]
    return ["```json", "{{", f"  \"AccessKeyId\": \"{{AWS}}\",", f"  \"SecretAccessKey\": \"{{AWS_SECRET}}\",",
            f"  \"SessionToken\": \"{{TOK}}\",", f"  \"Expiration\": \"{{DATETIME}}\"", "}}", "```",
            "These are temporary credentials from `aws sts assume-role`."]


def _python(r: random.Random) -> List[str]:
    k = _generic_key(r)
    lines = ["```python", "import os", "",
             f"{k.upper()} = \"{{PW}}\"" if r.random() < 0.5 else f"{k.upper()} = '{{TOK}}'",
             f"client = Client({r.choice(['api_key', 'token'])}=\"{{TOK}}\", timeout={{SMALL}})",
             f"creds = {{{{'{_generic_key(r)}': '{{PW}}', 'token_type': 'bearer'}}}}",
             r.choice(["password = getPassword()", "token = auth.get_token()", "api_key = os.environ[\"API_KEY\"]",
                       "secret = os.getenv(\"APP_SECRET\")", "token = self.token",
                       "api_key = settings.API_KEY", "password = process.env.DB_PASSWORD"]),
             r.choice(["headers = {{'Authorization': f'Bearer {{token}}', 'token_type': 'bearer'}}",
                       "payload = {{\"token\": token, \"password\": password}}",
                       f"monkey = \"{{RANDOM_ID}}\"", f"session_id = \"{{RANDOM_ID}}\""]),
             "```"]
    if r.random() < 0.6:
        lines[3:3] = ["AWS_ACCESS_KEY_ID = \"{AWS}\"", "AWS_SECRET_ACCESS_KEY = \"{AWS_SECRET}\""]
    return lines


def _toml(r: random.Random) -> List[str]:
    return ["```toml", "[database]", "url = \"postgres://db.internal:5432/app\"",
            f"{_generic_key(r)} = \"{{PW}}\"", "", "[api]",
            f"{_generic_key(r)} = '{{TOK}}'", f"{r.choice(_NOT_KEYS)} = \"{{RANDOM_ID}}\"",
            f"{_generic_key(r)} = \"{_negative_value(r)}\"", "```"]


def _js(r: random.Random) -> List[str]:
    return ["```js", "const config = {{", f"  {r.choice(['apiKey', 'accessToken', 'authToken'])}: \"{{TOK}}\",",
            "  authDomain: \"app.{DOMAIN}\",",
            f"  {r.choice(['clientSecret', 'webhookSecret', 'dbPassword'])}: '{{PW}}',",
            r.choice(["  token: this.token,", "  password: process.env.DB_PASSWORD,",
                      "  apiKey: process.env.API_KEY,", "  secret: opts.secret,"]),
            "  maxTokens: {SMALL},", "}};", "```"]


def _php(r: random.Random) -> List[str]:
    return ["In `config/database.php`:", "", "```php", "'mysql' => [", "    'host' => 'localhost',",
            f"    '{r.choice(['password', 'db_password'])}' => '{{PW}}',",
            "    'api_key' => env('API_KEY'),", f"    '{r.choice(['token', 'api_token'])}' => \"{{TOK}}\",",
            f"    'password_hash' => '{{BCRYPT}}',", "],", "```"]


def _go(r: random.Random) -> List[str]:
    return ["```go", f"{r.choice(['token', 'apiKey', 'secret'])} := \"{{TOK}}\"",
            "password := os.Getenv(\"DB_PASSWORD\")",
            f"req.Header.Set(\"X-Api-Key\", {r.choice(['apiKey', 'token'])})", "```"]


def _properties(r: random.Random) -> List[str]:
    return ["```properties", "spring.datasource.url=jdbc:postgresql://localhost:5432/app",
            "spring.datasource.username=app", f"spring.datasource.password={{PW}}",
            f"app.jwt.secret={{TOK}}", f"app.jwt.expiration={{SMALL}}",
            f"spring.mail.password={{PLACEHOLDER}}", "server.port=8080", "```"]


def _cli(r: random.Random) -> List[str]:
    return ["Run it like this:", "", "```bash",
            r.choice(["mysql -u root --password={PW} -h db.internal app",
                      "docker run -d -e POSTGRES_PASSWORD={PW} -p 5432:5432 postgres:16",
                      "kubectl create secret generic db --from-literal=password={PW}",
                      "helm upgrade --install api ./chart --set auth.password={PW}"]),
            r.choice(["export GITHUB_TOKEN={TOK}", "export API_KEY=\"{TOK}\"",
                      "export AWS_SECRET_ACCESS_KEY={AWS_SECRET}"]),
            r.choice(["export DB_PASSWORD=\"$(vault kv get -field=password secret/db)\"",
                      "export TOKEN=${{CI_JOB_TOKEN}}", "export MAX_TOKENS={SMALL}"]),
            "```"]


def _k8s(r: random.Random) -> List[str]:
    return ["```yaml", "apiVersion: v1", "kind: Secret", "metadata:", "  name: app-credentials",
            "type: Opaque", "stringData:", f"  {r.choice(['password', 'db-password', 'DB_PASSWORD'])}: {{PW}}",
            f"  {r.choice(['api-token', 'token', 'API_KEY'])}: \"{{TOK}}\"",
            "  password_hash: \"{BCRYPT}\"", "  ansible_password: !vault |", "```"]


_LOG_LINES = [
    "{DATETIME} WARN  auth: login failed user={EMAIL} password={PW} ip={IPV4}",
    "{DATETIME} DEBUG http: > x-api-key: {TOK} accept: */*",
    "{DATETIME} WARN  oauth: refresh failed, token: {TOK}",
    "{DATETIME} DEBUG config: api_key={TOK} loaded from env",
    "{DATETIME} DEBUG db: connect host=db.internal port=5432 password={PW} sslmode=require",
    "{DATETIME} INFO  oauth: token_type=bearer expires_in={SMALL} scope=read",
    "{DATETIME} DEBUG db: connect host=db.internal port=5432 password={PLACEHOLDER} sslmode=require",
    "{DATETIME} INFO  llm: max_tokens={SMALL} tokens={SMALL} latency={NUM}ms",
    "[{CLOCK}] token refreshed for {EMAIL}",
    "{DATETIME} INFO  vault: Password: see the vault entry for {EMAIL}",
    "{DATETIME} INFO  auth: Token: {ISO_DATE} is when the old key expires",
    "{DATETIME} DEBUG auth: password={LOW_ENTROPY} rejected (too weak)",
    "{DATETIME} DEBUG cache: session_id={RANDOM_ID} user={EMAIL}",
    "{DATETIME} INFO  sso: token_endpoint=https://auth.{DOMAIN}/oauth2/token",
    "{DATETIME} DEBUG s3: aws_secret_access_key={AWS_SECRET} region=us-east-1",
    "{DATETIME} DEBUG worker: secret: {PW}",
    "{DATETIME} INFO  job: started at {CLOCK}, finished at {CLOCK}",
    "{DATETIME} DEBUG oauth: access_token={JWT} expires_in={SMALL}",
]


def _logs(r: random.Random) -> List[str]:
    lines = r.sample(_LOG_LINES, r.randint(4, 8))
    return ["```text"] + lines + ["```"] if r.random() < 0.5 else lines


_PROSE = [
    "Password: see the vault.",
    "Token: {ISO_DATE} is the rotation date, not the token itself.",
    "The password is required, and the token is optional.",
    "Your API key: stored in 1Password under the team vault.",
    "In the code, `token: self.token` just copies the attribute.",
    "Set `password = getPassword()` instead of a literal.",
    "Rotate the secret at {CLOCK} UTC; the old token expires at {CLOCK}.",
    "The `max_tokens=4096` limit and `token_type=bearer` are not secrets.",
    "Never write `password: changeme` in a real deployment.",
    "Keep `password_hash: $2b$...` in the database, never the password.",
]
#: Prose around a planted value (a full-width '：' reads as ':').
_PROSE_SECRETS = [
    "配置文件里的 password：{PW} 请勿提交到仓库。",
    "The staging `api_key={TOK}` leaked in a screenshot, so rotate it.",
    "Die Zugangsdaten lauten `user: admin`, `password: {PW}`.",
    "Here is the reset link: https://app.{DOMAIN}/reset?token={TOK} (valid for {SMALL} minutes).",
]


def _prose(r: random.Random) -> List[str]:
    lines = r.sample(_PROSE, r.randint(2, 4))
    if r.random() < 0.4:
        lines.insert(r.randrange(len(lines) + 1), r.choice(_PROSE_SECRETS))
    return [" ".join(lines)]


#: (name, template builder, weight)
FORMS: List[Tuple[str, Callable[[random.Random], List[str]], int]] = [
    ("yaml", _yaml, 3), ("env", _env, 3), ("headers", _headers, 2), ("json", _json_prose, 2),
    ("python", _python, 2), ("toml", _toml, 1), ("logs", _logs, 3), ("js", _js, 1), ("php", _php, 1),
    ("go", _go, 1), ("properties", _properties, 1), ("cli", _cli, 2), ("k8s", _k8s, 1),
]


def template(r: random.Random) -> str:
    """One document's template: a form, sometimes prose before or after it."""
    forms = [f for f in FORMS for _ in range(f[2])]
    name, build, _ = r.choice(forms)
    lines = build(r)
    if r.random() < 0.3:
        lines = _prose(r) + [""] + lines
    elif r.random() < 0.2:
        lines = lines + [""] + _prose(r)
    return "\n".join(lines)
