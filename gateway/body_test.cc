// The gateway's own JSON helpers (quoting, upstream error messages) and its URL parsing.
#include "gateway/body.h"

#include <cstring>
#include <string>

#include "gateway/upstream_url.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"

namespace jitguard_gateway {
namespace {

TEST(Quote, EscapesLikeJson) { EXPECT_EQ(Quote("a\"b\\c\n"), R"("a\"b\\c\n")"); }

TEST(UpstreamErrorMessage, Shapes) {
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"message":"m1"}})"), "m1");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":"m2"})"), "m2");
  EXPECT_EQ(UpstreamErrorMessage(R"({"detail":"m3"})"), "m3");
  EXPECT_EQ(UpstreamErrorMessage("not json"), "");
}

TEST(OnlyToken, EveryTokenCaseInsensitive) {
  EXPECT_TRUE(OnlyToken("identity", "identity"));
  EXPECT_TRUE(OnlyToken(" Identity ,identity,", "identity"));
  EXPECT_TRUE(OnlyToken("", "identity"));
  EXPECT_FALSE(OnlyToken("identity, gzip", "identity"));
  EXPECT_FALSE(OnlyToken("x-gzip", "identity"));
  EXPECT_FALSE(OnlyToken("gzip, chunked", "chunked"));
  EXPECT_TRUE(OnlyToken("CHUNKED", "chunked"));
}

TEST(Framing, FromMediaTypeAndRequest) {
  EXPECT_EQ(ChooseFraming("text/event-stream; charset=utf-8", false), Framing::kSse);
  EXPECT_EQ(ChooseFraming("Application/X-NDJSON", true), Framing::kNdjson);
  EXPECT_EQ(ChooseFraming("application/x-ndjson", false), Framing::kNdjson);
  EXPECT_EQ(ChooseFraming("application/json", true), Framing::kSse);
  EXPECT_EQ(ChooseFraming("text/plain", true), Framing::kSse);
  EXPECT_EQ(ChooseFraming("application/json; x=ndjson", false), Framing::kJson);
  EXPECT_EQ(ChooseFraming("text/plain", false), Framing::kText);
  EXPECT_EQ(FramingContentType(Framing::kText), "text/plain; charset=utf-8");
  EXPECT_TRUE(StreamRequested(R"({"stream": true})"));
  EXPECT_TRUE(StreamRequested(R"({"stream": false, "stream": "true"})"));
  EXPECT_TRUE(StreamRequested(R"({"stream": 1})"));
  EXPECT_FALSE(StreamRequested(R"({"stream": false})"));
  EXPECT_FALSE(StreamRequested(R"({"stream": null, "messages": []})"));
  EXPECT_FALSE(StreamRequested(R"({"x": {"stream": true}})"));
}

TEST(Query, DecodeEncodeAndMask) {
  EXPECT_EQ(PercentDecode("a%40b+c%zz%4", false), "a@b+c%zz%4");
  EXPECT_EQ(PercentDecode("a+b", true), "a b");
  EXPECT_EQ(PercentEncode("a b@c-._~"), "a%20b%40c-._~");
  auto mask = [](std::string_view t) -> absl::StatusOr<std::string> {
    std::string s(t);
    for (const char* secret : {"john+tag@x.org", "4111 1111"}) {
      for (size_t at; (at = s.find(secret)) != std::string::npos;) s.replace(at, strlen(secret), "[X]");
    }
    return s;
  };
  auto q = MaskQuery("api-version=2024-06-01&user=john%2Btag%40x.org&card=4111+1111&flag&a=b+c", mask);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, "api-version=2024-06-01&user=%5BX%5D&card=%5BX%5D&flag&a=b+c");
  auto fail = [](std::string_view) -> absl::StatusOr<std::string> { return absl::InternalError("x"); };
  EXPECT_FALSE(MaskQuery("a=b", fail).ok());
}

TEST(CutMasked, NeverInsideAToken) {
  EXPECT_EQ(CutMasked("short", 10), "short");
  EXPECT_EQ(CutMasked("abc [CARD] def", 7), "abc ...");
  EXPECT_EQ(CutMasked("abc [CARD] def", 10), "abc [CARD]...");
  EXPECT_EQ(CutMasked("ab\xc3\xa9" "cd", 3), "ab...");
}

TEST(StreamScrubber, AcrossChunks) {
  StreamScrubber s("secret-key");
  std::string out = s.Write("a secr");
  out += s.Write("et-key b sec");
  out += s.Write("ret-ke");
  out += s.Write("X se");
  out += s.Finish();
  EXPECT_EQ(out, "a [REDACTED] b secret-keX se");
  StreamScrubber none("");
  EXPECT_EQ(none.Write("abc"), "abc");
}

TEST(UpstreamUrl, Parses) {
  auto u = ParseUpstreamUrl("https://models.internal:8443/openai/");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "models.internal");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->base_path, "/openai");
  auto v = ParseUpstreamUrl("http://[::1]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->host, "::1");
  EXPECT_EQ(v->port, "80");
  for (const char* bad : {"ftp://x", "http://", "http://u:p@host", "http://h:99999", "http://h/?q"}) {
    EXPECT_FALSE(ParseUpstreamUrl(bad).ok()) << bad;
  }
  auto l = ParseListen("127.0.0.1:0");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->port, 0);
  EXPECT_FALSE(ParseListen("127.0.0.1").ok());
}

}  // namespace
}  // namespace jitguard_gateway
