"""Crypto wallet addresses and MAC addresses for the labelled corpus, built from their specifications,
and hard negatives of the same shapes.

* Bitcoin P2PKH / P2SH: Base58Check (version byte, 20-byte hash, first four bytes of the double
  SHA-256 of both), mainnet versions 0x00 ("1...") and 0x05 ("3..."); testnet 0x6f / 0xc4.
* Bitcoin segwit: BIP-173 bech32 for witness version 0 (20- or 32-byte program), BIP-350 bech32m
  for versions 1-16; hrp "bc" (mainnet), "tb" (testnet).
* Ethereum: "0x" + 40 hex digits, EIP-55 mixed-case checksum from Keccak-256 of the lower-case hex
  (pycryptodome's ``Crypto.Hash.keccak``: hashlib's ``sha3_256`` is the later FIPS-202 padding, not
  Keccak-256).
* MAC-48: six groups of two hex digits joined by ':' or '-', or Cisco's three groups of four
  joined by '.'.

Every value is synthetic (random bytes).
"""
from __future__ import annotations

import hashlib
import random
from typing import List, Optional, Tuple

BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
BECH32M_CONST = 0x2BC830A3
_HEX = "0123456789abcdef"


# --- Base58Check ------------------------------------------------------------------------------------

def b58encode(data: bytes) -> str:
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(BASE58[rem])
    zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(out))


def b58decode(s: str) -> Optional[bytes]:
    n = 0
    for ch in s:
        i = BASE58.find(ch)
        if i < 0:
            return None
        n = n * 58 + i
    zeros = len(s) - len(s.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def _checksum(raw: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]


def base58check(version: int, payload: bytes) -> str:
    raw = bytes([version]) + payload
    return b58encode(raw + _checksum(raw))


def base58check_decode(s: str) -> Optional[Tuple[int, bytes]]:
    """(version, payload) of a valid 25-byte Base58Check address, or None."""
    data = b58decode(s)
    if data is None or len(data) != 25 or _checksum(data[:-4]) != data[-4:]:
        return None
    return data[0], data[1:-4]


# --- bech32 / bech32m (BIP-173, BIP-350) ------------------------------------------------------------

def _polymod(values: List[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (top >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp: str) -> List[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convertbits(data: bytes, frombits: int, tobits: int, pad: bool) -> Optional[List[int]]:
    acc, bits, out = 0, 0, []
    maxv = (1 << tobits) - 1
    for b in data:
        acc = (acc << frombits) | b
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad and bits:
        out.append((acc << (tobits - bits)) & maxv)
    elif not pad and (bits >= frombits or (acc << (tobits - bits)) & maxv):
        return None
    return out


def segwit_encode(hrp: str, version: int, program: bytes, const: Optional[int] = None) -> str:
    """The address of a witness program; `const` overrides the checksum constant (for negatives)."""
    if const is None:
        const = 1 if version == 0 else BECH32M_CONST
    data = [version] + _convertbits(program, 8, 5, True)
    poly = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    check = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + check)


def segwit_decode(addr: str) -> Optional[Tuple[str, int, bytes]]:
    """(hrp, witness version, program) of a valid segwit address, or None."""
    if addr.lower() != addr and addr.upper() != addr:
        return None
    a = addr.lower()
    pos = a.rfind("1")
    if pos < 1 or pos + 7 > len(a) or len(a) > 90 or any(c not in BECH32 for c in a[pos + 1:]):
        return None
    hrp, data = a[:pos], [BECH32.index(c) for c in a[pos + 1:]]
    const = _polymod(_hrp_expand(hrp) + data)
    version = data[0]
    if const != (1 if version == 0 else BECH32M_CONST) or version > 16:
        return None
    program = _convertbits(bytes(data[1:-6]), 5, 8, False)
    if program is None or not 2 <= len(program) <= 40:
        return None
    if version == 0 and len(program) not in (20, 32):
        return None
    return hrp, version, bytes(program)


# --- EIP-55 -----------------------------------------------------------------------------------------

def keccak256(data: bytes) -> bytes:
    from Crypto.Hash import keccak  # pycryptodome (the tests' extra)
    h = keccak.new(digest_bits=256)
    h.update(data)
    return h.digest()


def eip55(hex40: str) -> str:
    """The EIP-55 checksummed form of 40 hex digits (no "0x")."""
    low = hex40.lower()
    digest = keccak256(low.encode("ascii")).hex()
    return "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c for i, c in enumerate(low))


def eip55_valid(hex40: str) -> bool:
    return len(hex40) == 40 and eip55(hex40) == hex40


def _mixed(s: str) -> bool:
    return any(c.islower() for c in s) and any(c.isupper() for c in s)


# --- Generators -------------------------------------------------------------------------------------

def gen_btc_base58(r: random.Random) -> str:
    """P2PKH (mostly) or P2SH on mainnet."""
    return base58check(0x00 if r.random() < 0.7 else 0x05, r.randbytes(20))


def gen_btc_segwit(r: random.Random) -> str:
    x = r.random()
    if x < 0.45:
        addr = segwit_encode("bc", 0, r.randbytes(20))  # P2WPKH
    elif x < 0.65:
        addr = segwit_encode("bc", 0, r.randbytes(32))  # P2WSH
    else:
        addr = segwit_encode("bc", 1, r.randbytes(32))  # P2TR (bech32m)
    return addr.upper() if r.random() < 0.1 else addr  # QR codes use the upper-case form


def gen_eth(r: random.Random) -> str:
    """EIP-55 checksummed (mixed case)."""
    while True:
        a = eip55(r.randbytes(20).hex())
        if _mixed(a):
            return "0x" + a


def gen_eth_lower(r: random.Random) -> str:
    """One case (no checksum): an address only after a context word."""
    h = r.randbytes(20).hex()
    return "0x" + (h.upper() if r.random() < 0.1 else h)


def gen_testnet(r: random.Random) -> str:
    """Valid testnet addresses (m/n..., 2..., tb1...): no value, not masked."""
    x = r.random()
    if x < 0.35:
        return base58check(0x6F, r.randbytes(20))
    if x < 0.55:
        return base58check(0xC4, r.randbytes(20))
    return segwit_encode("tb", 0 if r.random() < 0.6 else 1, r.randbytes(20 if r.random() < 0.5 else 32))


def bad_wallet(r: random.Random) -> str:
    """Wallet-shaped strings whose checksum fails: one character changed, random Base58, bech32
    with a bad checksum or in mixed case, version 0 under bech32m, EIP-55 with one letter's case
    flipped."""
    which = r.randrange(6)
    if which == 0:  # one Base58 character changed
        a = gen_btc_base58(r)
        while True:
            i = r.randrange(1, len(a))
            b = a[:i] + r.choice([c for c in BASE58 if c != a[i]]) + a[i + 1:]
            if base58check_decode(b) is None:
                return b
    if which == 1:  # random Base58 after a 1 or a 3
        while True:
            b = r.choice("13") + "".join(r.choice(BASE58) for _ in range(r.randint(25, 33)))
            if base58check_decode(b) is None:
                return b
    if which == 2:  # one bech32 character changed
        a = segwit_encode("bc", 0, r.randbytes(20))
        while True:
            i = r.randrange(4, len(a))
            b = a[:i] + r.choice([c for c in BECH32 if c != a[i]]) + a[i + 1:]
            if segwit_decode(b) is None:
                return b
    if which == 3:  # mixed case
        a = segwit_encode("bc", 0, r.randbytes(20))
        letters = [i for i in range(4, len(a)) if a[i].isalpha()]
        i = r.choice(letters)
        return a[:i] + a[i].upper() + a[i + 1:]
    if which == 4:  # witness version 0 with the bech32m constant (BIP-350 forbids it)
        return segwit_encode("bc", 0, r.randbytes(20), const=BECH32M_CONST)
    while True:  # EIP-55 with one letter's case flipped (still mixed case)
        a = gen_eth(r)[2:]
        letters = [i for i, c in enumerate(a) if c.isalpha()]
        if sum(a[i].isupper() for i in letters) < 2 or sum(a[i].islower() for i in letters) < 2:
            continue
        i = r.choice(letters)
        return "0x" + a[:i] + a[i].swapcase() + a[i + 1:]


def gen_tx_hash(r: random.Random) -> str:
    return "0x" + r.randbytes(32).hex()


def gen_hex40(r: random.Random) -> str:
    """"0x" and a 160-bit hash in one case (RIPEMD-160, SHA-1): a wallet's shape without its
    context word or checksum."""
    return "0x" + r.randbytes(20).hex()


# --- MAC-48 -----------------------------------------------------------------------------------------

def _has_digit(s: str) -> bool:
    return any(c.isdigit() for c in s)


def _mac_bytes(r: random.Random) -> bytes:
    while True:
        b = r.randbytes(6)
        if _has_digit(b.hex()) and any(b):
            return b


def gen_mac_address(r: random.Random) -> str:
    h = _mac_bytes(r).hex()
    x = r.random()
    if x < 0.8:
        s = r.choice([":", ":", "-"]).join(h[i:i + 2] for i in range(0, 12, 2))
    else:
        s = ".".join(h[i:i + 4] for i in range(0, 12, 4))
    return s.upper() if r.random() < 0.3 else s


def bad_mac(r: random.Random) -> str:
    """Colon/dash/dot hex that is no MAC-48: five or seven groups, mixed separators, EUI-64 with
    dashes, 17 characters in three groups of five, four Cisco groups, the all-zero address."""
    h = r.randbytes(10).hex()
    which = r.randrange(7)
    if which == 0:
        return ":".join(h[i:i + 2] for i in range(0, 10, 2))
    if which == 1:
        return "-".join(h[i:i + 2] for i in range(0, 14, 2))
    if which == 2:
        seps = [":", "-"] * 3
        r.shuffle(seps)
        if len(set(seps[:5])) == 1:
            seps[0] = "-" if seps[0] == ":" else ":"
        return "".join(h[2 * i:2 * i + 2] + (seps[i] if i < 5 else "") for i in range(6))
    if which == 3:  # EUI-64 (ff-fe in the middle), as Windows prints it
        return "-".join([h[0:2], h[2:4], h[4:6], "FF", "FE", h[6:8], h[8:10], h[10:12]]).upper()
    if which == 4:
        return ":".join([h[0:5], h[5:10], h[10:15]])
    if which == 5:
        return ".".join(h[i:i + 4] for i in range(0, 16, 4))
    return r.choice(["00:00:00:00:00:00", "00-00-00-00-00-00", "0000.0000.0000"])


def gen_fingerprint(r: random.Random) -> str:
    """An SSH key fingerprint in the MD5 colon form (16 groups)."""
    return "MD5:" + ":".join(f"{b:02x}" for b in r.randbytes(16))
