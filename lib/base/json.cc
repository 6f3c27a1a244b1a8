#include "lib/base/json.h"

#include <algorithm>
#include <vector>

namespace jitguard::base {
namespace {

constexpr char kHex[] = "0123456789abcdef";

inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

namespace od = simdjson::ondemand;

// Reads every value below `v`, so the on-demand parser meets the first syntax error there is.
simdjson::error_code ReadAll(od::value v, int depth) {
  if (depth > 1024) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object object;
      if (auto e = v.get_object().get(object)) return e;
      for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        od::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = ReadAll(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      if (auto e = v.get_array().get(array)) return e;
      for (auto element : array) {
        od::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = ReadAll(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s);
    }
    case od::json_type::number: {
      od::number n;
      return v.get_number().get(n);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::SUCCESS;
}

}  // namespace

void AppendJsonString(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  size_t run = 0;  // start of the pending run of bytes that need no escaping
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (!NeedsEscape(c)) continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
        out->append(esc, sizeof(esc));
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool HasUniqueKeys(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object object = element.get_object().value_unsafe();
      std::vector<std::string_view> keys;
      keys.reserve(object.size());
      for (auto field : object) {
        keys.push_back(field.key);
        if (!HasUniqueKeys(field.value)) return false;
      }
      std::sort(keys.begin(), keys.end());
      return std::adjacent_find(keys.begin(), keys.end()) == keys.end();
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array array = element.get_array().value_unsafe();
      for (simdjson::dom::element child : array) {
        if (!HasUniqueKeys(child)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

TextPosition PositionInText(std::string_view text, size_t offset) {
  TextPosition p;
  p.offset = std::min(offset, text.size());
  size_t line_start = 0;
  for (size_t i = 0; i < p.offset; ++i) {
    if (text[i] == '\n') {
      ++p.line;
      line_start = i + 1;
    }
  }
  for (size_t i = line_start; i < p.offset; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) ++p.column;
  }
  return p;
}

std::optional<TextPosition> LocateJsonSyntaxError(std::string_view text) {
  od::parser parser;
  const simdjson::padded_string padded(text);
  od::document doc;
  if (parser.iterate(padded).get(doc)) return std::nullopt;
  od::json_type type;
  if (doc.type().get(type)) return std::nullopt;
  if (type != od::json_type::object && type != od::json_type::array) return std::nullopt;
  od::value root;
  if (doc.get_value().get(root)) return std::nullopt;
  const simdjson::error_code error = ReadAll(root, 0);
  const char* at = nullptr;
  if (error == simdjson::SUCCESS) {
    // Valid up to the end of the root; anything after it is the error.
    if (doc.current_location().get(at)) return std::nullopt;
    return PositionInText(text, static_cast<size_t>(at - padded.data()));
  }
  if (error == simdjson::DEPTH_ERROR) return std::nullopt;
  if (error == simdjson::INCOMPLETE_ARRAY_OR_OBJECT || doc.current_location().get(at)) {
    return PositionInText(text, text.size());  // the text ends before the object or array does
  }
  return PositionInText(text, static_cast<size_t>(at - padded.data()));
}

}  // namespace jitguard::base
