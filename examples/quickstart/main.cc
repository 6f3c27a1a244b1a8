// quickstart: the smallest jitguard embedding. It mints an HS256 access token (standing in for your
// identity provider), verifies it with a TokenVerifier, then masks a model response that arrives in
// chunks, with an email address split across two of them. Prints what it did; exits non-zero if
// anything is off.
#include <openssl/hmac.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "jitguard/token.h"

namespace {

constexpr char kSecret[] = "quickstart-shared-secret-0123456789abcdef";

std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  unsigned bits = 0;
  int n = 0;
  for (unsigned char c : in) {
    bits = bits << 8 | c;
    n += 8;
    while (n >= 6) out.push_back(kAlphabet[(bits >> (n -= 6)) & 63]);
  }
  if (n > 0) out.push_back(kAlphabet[(bits << (6 - n)) & 63]);
  return out;
}

// What an identity provider would issue: {"sub": "alice", "groups": ["data-scientists"], ...}.
std::string MintToken() {
  long now = static_cast<long>(std::time(nullptr));
  std::string input =
      Base64Url(R"({"alg":"HS256","typ":"JWT"})") + "." +
      Base64Url(R"({"iss":"https://idp.example","aud":"inference","sub":"alice",)"
                R"("groups":["data-scientists"],"iat":)" +
                std::to_string(now) + ",\"exp\":" + std::to_string(now + 300) + "}");
  unsigned char mac[32];
  unsigned len = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
  return input + "." + Base64Url(std::string_view(reinterpret_cast<const char*>(mac), len));
}

std::string Message(const absl::Status& s) {
  return std::string(s.message().data(), s.message().size());
}

}  // namespace

int main() {
  // 1. Verify the caller's token.
  jitguard::TokenVerifierOptions options;
  options.hmac_keys.push_back(
      {.secret = jitguard::SecretBytes(kSecret), .alg = "HS256", .kid = ""});
  options.issuers = {"https://idp.example"};
  options.audiences = {"inference"};
  absl::StatusOr<std::shared_ptr<jitguard::TokenVerifier>> verifier =
      jitguard::TokenVerifier::Create(options);
  if (!verifier.ok()) {
    std::fprintf(stderr, "quickstart: verifier: %s\n", Message(verifier.status()).c_str());
    return 1;
  }
  absl::StatusOr<jitguard::Identity> who = (*verifier)->Verify(MintToken(), absl::Now());
  if (!who.ok()) {
    std::fprintf(stderr, "quickstart: token rejected: %s\n",
                 jitguard::ErrorReason(who.status()).c_str());
    return 1;
  }
  std::printf("token verified: subject=%s groups=%zu (%s)\n", who->subject.c_str(),
              who->groups.size(), who->groups.empty() ? "" : who->groups[0].c_str());
  absl::StatusOr<jitguard::Identity> forged = (*verifier)->Verify(MintToken() + "x", absl::Now());
  std::printf("tampered token rejected: %s\n", jitguard::ErrorReason(forged.status()).c_str());

  // 2. Mask a model response as it streams.
  absl::StatusOr<std::shared_ptr<const jitguard::Masker>> masker = jitguard::Masker::Create({});
  if (!masker.ok()) {
    std::fprintf(stderr, "quickstart: masker: %s\n", Message(masker.status()).c_str());
    return 1;
  }
  std::unique_ptr<jitguard::MaskStream> stream = (*masker)->NewStream();
  const std::vector<std::string> chunks = {"Sure! Reach Dana at dana.whit", "field@example.com or ",
                                           "+1 415 555 0134; card 4111 1111 1111 1111."};
  std::string masked;
  for (const std::string& chunk : chunks) {
    std::string out = stream->Write(chunk);
    std::printf("model chunk -> client: \"%s\"\n", out.c_str());
    masked += out;
  }
  std::string tail = stream->Finish();
  std::printf("end of stream -> client: \"%s\"\n", tail.c_str());
  masked += tail;
  std::printf("client saw: %s\n", masked.c_str());
  for (const auto& [entity, n] : stream->counts())
    std::printf("  masked %s x%llu\n", entity.c_str(), static_cast<unsigned long long>(n));
  bool ok = who->subject == "alice" && !forged.ok() &&
            masked.find("dana.whit") == std::string::npos &&
            masked.find("[EMAIL]") != std::string::npos;
  std::printf("quickstart: %s\n", ok ? "done" : "FAILED");
  return ok ? 0 : 1;
}
