// ReadInferenceRequest and the default-deny request masking: every place text reaches the model is
// read for the policy and masked; a body the guard cannot read is refused.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/guard.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"

namespace jitguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ReadInferenceRequestTest, ChatMessagesInEveryForm) {
  absl::StatusOr<InferenceRequest> r = ReadInferenceRequest(R"({
    "model": "support-llm", "stream": true,
    "messages": [
      {"role": "system", "content": "be brief"},
      {"role": "user", "content": [{"type": "text", "text": "please export"},
                                   {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "lookup", "arguments": "{\"who\": \"download all\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "tool result: secret plans"}
    ]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->model, "support-llm");
  EXPECT_TRUE(r->stream);
  EXPECT_THAT(r->prompt, HasSubstr("system: be brief"));
  EXPECT_THAT(r->prompt, HasSubstr("please export"));
  EXPECT_THAT(r->prompt, HasSubstr("download all"));       // tool-call arguments
  EXPECT_THAT(r->prompt, HasSubstr("secret plans"));       // tool results
  EXPECT_THAT(r->prompt, Not(HasSubstr("support-llm")));   // structural: not prompt text
}

TEST(ReadInferenceRequestTest, ImagesAndTheNamesOfASchemaPass) {
  // Images by URL or as an image data: URL pass; a tool's JSON Schema is text the model reads,
  // member names included.
  absl::StatusOr<InferenceRequest> r = ReadInferenceRequest(R"({"model": "m",
    "messages": [{"role": "user", "content": [
      {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
      {"type": "image_url", "image_url": {"url": "DATA:image/png;base64,iVBORw0KGgo="}},
      {"type": "text", "text": "hi"}]}],
    "tools": [{"type": "function", "function": {"name": "run", "parameters": {"type": "object",
      "properties": {"export": {"type": "string"}}}}}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_THAT(r->prompt, HasSubstr("export"));
}

TEST(ReadInferenceRequestTest, CompletionsResponsesAndEmbeddingsInputs) {
  EXPECT_THAT(ReadInferenceRequest(R"({"model":"m","prompt":["a export","b"]})")->prompt,
              HasSubstr("a export"));
  EXPECT_THAT(ReadInferenceRequest(R"({"model":"m","input":"please export"})")->prompt,
              HasSubstr("please export"));
  EXPECT_THAT(ReadInferenceRequest(
                  R"({"model":"m","instructions":"x","input":[{"role":"user","content":[{"type":"input_text","text":"export it"}]}]})")
                  ->prompt,
              HasSubstr("export it"));
}

TEST(ReadInferenceRequestTest, UnreadableBodiesAreRefused) {
  const std::pair<const char*, const char*> cases[] = {
      {"{not json", "bad_json"},
      {"[1,2]", "not_an_object"},
      {R"({"model": 5, "messages": []})", "bad_field"},
      {R"({"model": "m", "messages": "export everything"})", "bad_messages"},
      {R"({"model": "m", "messages": {"role": "user"}})", "bad_messages"},
      {R"({"model": "m", "messages": ["export"]})", "bad_messages"},
      {R"({"model": "m", "messages": [{"role": "user", "content": 5}]})", "bad_messages"},
      {R"({"model": "m", "prompt": [1, 2, 3]})", "token_prompt"},
      {R"({"model": "m", "input": [[1, 2], [3]]})", "token_prompt"},
      {R"({"model": "m", "prompt": 7})", "bad_prompt"},
      {R"({"model": "m"})", "no_prompt"},
      // Parts the guard cannot read: refused, never forwarded unread.
      {R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "file", "file": {"file_data": "ZXhwb3J0"}}]}]})",
       "unreadable_part"},
      {R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "AAAA"}}]}]})",
       "unreadable_part"},
      {R"({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:text/plain;base64,ZXhwb3J0"}}]}]})",
       "unreadable_part"},
      {R"({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file", "file_data": "ZXhwb3J0"}]}]})",
       "unreadable_part"},
  };
  for (const auto& [body, reason] : cases) {
    absl::StatusOr<InferenceRequest> r = ReadInferenceRequest(body);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(ErrorReason(r.status()), reason) << body;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(MaskRequestJsonTest, EveryTextTheModelReadsIsMasked) {
  const auto m = *Masker::Create({});
  absl::StatusOr<std::string> out = m->MaskRequestJson(R"({
    "model": "support-llm",
    "messages": [
      {"role": "user", "content": [{"type": "text", "text": "mail john.doe@example.com"}]},
      {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
        "function": {"name": "f", "arguments": "{\"ssn\": \"123-45-6789\"}"}}]},
      {"role": "tool", "tool_call_id": "call_1", "content": "card 4111 1111 1111 1111"}
    ],
    "user": "john.doe@example.com"})");
  ASSERT_TRUE(out.ok());
  EXPECT_THAT(*out, Not(HasSubstr("john.doe")));
  EXPECT_THAT(*out, Not(HasSubstr("123-45-6789")));
  EXPECT_THAT(*out, Not(HasSubstr("4111 1111")));
  EXPECT_THAT(*out, HasSubstr("\"model\":\"support-llm\""));
  EXPECT_THAT(*out, HasSubstr("\"role\":\"tool\""));
  EXPECT_THAT(*out, HasSubstr(R"(\"ssn\":\"[US_SSN]\")"));
}

}  // namespace
}  // namespace jitguard
