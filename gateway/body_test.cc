// The gateway's request/response JSON handling and its URL parsing.
#include "gateway/body.h"

#include <string>

#include "gateway/upstream_url.h"
#include "gtest/gtest.h"
#include "jitguard/status.h"

namespace jitguard_gateway {
namespace {

absl::StatusOr<std::string> Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

TEST(RequestBody, CollectsEveryTextTheModelReads) {
  auto body = RequestBody::Parse(
      R"({"model":"m","stream":true,"messages":[
           {"role":"system","content":"sys"},
           {"role":"user","content":[{"type":"text","text":"part one"},{"type":"image_url","image_url":{"url":"data:x"}}]},
           {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":\"arg\"}"}}]},
           {"role":"tool","tool_call_id":"c1","content":"result"}],
          "tools":[{"type":"function","function":{"name":"f","description":"desc"}}],"temperature":0.5})",
      Endpoint::kChat);
  ASSERT_TRUE(body.ok()) << body.status();
  EXPECT_EQ((*body)->model(), "m");
  EXPECT_TRUE((*body)->stream());
  EXPECT_EQ((*body)->prompt(), "sys\npart one\n{\"a\":\"arg\"}\nresult\ndesc");
  auto out = (*body)->Rewrite(Upper);
  ASSERT_TRUE(out.ok());
  EXPECT_NE(out->find(R"("text":"PART ONE")"), std::string::npos);
  EXPECT_NE(out->find(R"("url":"data:x")"), std::string::npos);  // structural: untouched
  EXPECT_NE(out->find(R"("name":"f")"), std::string::npos);
  EXPECT_NE(out->find(R"("arguments":"{\"A\":\"ARG\"}")"), std::string::npos);
  EXPECT_NE(out->find(R"("tool_call_id":"c1")"), std::string::npos);
  EXPECT_NE(out->find(R"("temperature":0.5)"), std::string::npos);
  EXPECT_NE(out->find(R"("model":"m")"), std::string::npos);
}

TEST(RequestBody, PromptAndInputForms) {
  auto c = RequestBody::Parse(R"({"model":"m","prompt":["a","b"]})", Endpoint::kCompletions);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->prompt(), "a\nb");
  auto e = RequestBody::Parse(R"({"model":"m","input":[[1,2,3]]})", Endpoint::kEmbeddings);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->prompt(), "");
  auto r = RequestBody::Parse(
      R"({"model":"m","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}]})",
      Endpoint::kResponses);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->prompt(), "be brief\nhi");
}

TEST(RequestBody, UnreadableBodiesAreRefused) {
  for (const char* bad : {"", "{", "[1]", "\"x\"", "{\"model\":\"m\"}", "{\"messages\":\"x\"}",
                          "{\"messages\":null}", "{\"a\":\"\xff\"}"}) {
    auto body = RequestBody::Parse(bad, Endpoint::kChat);
    ASSERT_FALSE(body.ok()) << bad;
    const std::string reason = jitguard::ErrorReason(body.status());
    EXPECT_TRUE(reason == "bad_json" || reason == "missing_field") << reason;
  }
}

TEST(MaskJsonResponse, MasksEveryStringButStructure) {
  std::string texts;
  auto out = MaskJsonResponse(
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi there"},"finish_reason":"stop"}],"new_field":"text"})",
      Upper, &texts);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out,
            R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"HI THERE"},"finish_reason":"stop"}],"new_field":"TEXT"})");
  EXPECT_EQ(texts, "hi there\ntext");
  EXPECT_FALSE(MaskJsonResponse("{", Upper, nullptr).ok());
}

TEST(UpstreamErrorMessage, Shapes) {
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":{"message":"m1"}})"), "m1");
  EXPECT_EQ(UpstreamErrorMessage(R"({"error":"m2"})"), "m2");
  EXPECT_EQ(UpstreamErrorMessage(R"({"detail":"m3"})"), "m3");
  EXPECT_EQ(UpstreamErrorMessage("not json"), "");
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
