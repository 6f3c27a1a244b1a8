#include "lib/audit/chain.h"

#include <openssl/crypto.h>

#include <cstring>

namespace jitguard::audit_internal {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

Chainer::Chainer(std::string_view key) : keyed_(!key.empty()) {
  if (!keyed_) return;
  uint8_t block[SHA256_CBLOCK] = {0};
  if (key.size() > SHA256_CBLOCK) {
    SHA256(reinterpret_cast<const uint8_t*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  uint8_t pad[SHA256_CBLOCK];
  for (size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&inner_);
  SHA256_Update(&inner_, pad, sizeof(pad));
  for (size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&outer_);
  SHA256_Update(&outer_, pad, sizeof(pad));
  OPENSSL_cleanse(block, sizeof(block));
  OPENSSL_cleanse(pad, sizeof(pad));
}

Digest Chainer::Hash(const Digest& prev, std::string_view body) const {
  Digest out;
  if (!keyed_) {
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, prev.data(), prev.size());
    SHA256_Update(&ctx, body.data(), body.size());
    SHA256_Final(out.data(), &ctx);
    return out;
  }
  SHA256_CTX ctx = inner_;
  SHA256_Update(&ctx, prev.data(), prev.size());
  SHA256_Update(&ctx, body.data(), body.size());
  Digest inner;
  SHA256_Final(inner.data(), &ctx);
  ctx = outer_;
  SHA256_Update(&ctx, inner.data(), inner.size());
  SHA256_Final(out.data(), &ctx);
  return out;
}

void AppendHex(std::string* out, const Digest& d) {
  size_t n = out->size();
  out->resize(n + 64);
  char* p = out->data() + n;
  for (uint8_t b : d) {
    *p++ = kHexDigits[b >> 4];
    *p++ = kHexDigits[b & 15];
  }
}

std::optional<Digest> ParseHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  Digest d;
  for (size_t i = 0; i < 32; ++i) {
    int hi = HexValue(hex[2 * i]);
    int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

bool SplitLine(std::string_view line, LineParts* parts) {
  constexpr std::string_view kStart = "{\"seq\":";
  if (line.size() < kStart.size() + 1 + kPrevSuffixSize + kHashSuffixSize) return false;
  if (line.substr(0, kStart.size()) != kStart) return false;
  size_t i = kStart.size();
  uint64_t seq = 0;
  size_t digits = 0;
  while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
    if (digits == 19) return false;
    seq = seq * 10 + static_cast<uint64_t>(line[i] - '0');
    ++i;
    ++digits;
  }
  if (digits == 0 || (digits > 1 && line[kStart.size()] == '0')) return false;
  if (line[i] != ',' && line[i] != '}') return false;
  size_t hash_at = line.size() - kHashSuffixSize;
  if (line.substr(hash_at, kHashKey.size()) != kHashKey) return false;
  if (line.substr(line.size() - 2) != "\"}") return false;
  size_t prev_at = hash_at - kPrevSuffixSize;
  if (prev_at < i) return false;
  if (line.substr(prev_at, kPrevKey.size()) != kPrevKey) return false;
  if (line[hash_at - 1] != '"') return false;
  parts->seq = seq;
  parts->body = line.substr(0, hash_at);
  parts->prev_hex = line.substr(prev_at + kPrevKey.size(), 64);
  parts->hash_hex = line.substr(hash_at + kHashKey.size(), 64);
  return true;
}

void AppendPrev(std::string* record, const Digest& prev) {
  record->append(kPrevKey);
  AppendHex(record, prev);
  record->push_back('"');
}

void AppendHashAndClose(std::string* record, const Digest& hash) {
  record->append(kHashKey);
  AppendHex(record, hash);
  record->append("\"}");
}

}  // namespace jitguard::audit_internal
