#include "gateway/body.h"

#include <string>

#include "lib/base/json.h"
#include "simdjson.h"

namespace jitguard_gateway {

std::string Quote(std::string_view s) {
  std::string out;
  jitguard::base::AppendJsonString(&out, s);
  return out;
}

std::string UpstreamErrorMessage(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return "";
  std::string_view msg;
  simdjson::dom::element err;
  if (root["error"].get(err) == simdjson::SUCCESS) {
    if (err.get(msg) == simdjson::SUCCESS) return std::string(msg);
    if (err["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  }
  if (root["message"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  if (root["detail"].get(msg) == simdjson::SUCCESS) return std::string(msg);
  return "";
}

}  // namespace jitguard_gateway
