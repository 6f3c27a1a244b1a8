#include "lib/mask/terms.h"

#include "absl/strings/str_cat.h"
#include "jitguard/status.h"
#include "lib/base/strings.h"

namespace jitguard::mask {
namespace {

// Normalizes a term; empty when it has no non-space byte.
std::string Normalize(std::string_view term) {
  std::string out;
  bool pending_space = false;
  for (unsigned char c : term) {
    if (IsSpace(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(static_cast<char>(ToLower(c)));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TermMatcher>> TermMatcher::Build(
    const std::vector<TermList>& lists) {
  auto m = std::make_unique<TermMatcher>();
  size_t total = 0;
  for (const TermList& list : lists) total += list.terms.size();
  m->keys_.reserve(total * 2);
  for (size_t li = 0; li < lists.size(); ++li) {
    for (const std::string& raw : lists[li].terms) {
      std::string key = Normalize(raw);
      if (key.empty() || key.size() > kMaxTermBytes) {
        return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "bad_rule",
                         absl::StrCat("term list '", base::AsAbsl(lists[li].name),
                                      "' has an empty term or one longer than 256 bytes"));
      }
      const unsigned char c0 = static_cast<unsigned char>(key[0]);
      m->first_[c0] = true;
      if (IsLower(c0)) m->first_[c0 - 32] = true;
      // Proper prefixes that end at a token boundary.
      for (size_t k = 1; k < key.size(); ++k) {
        const int prev = static_cast<unsigned char>(key[k - 1]);
        const int next = static_cast<unsigned char>(key[k]);
        if (IsWordByte(prev) && IsWordByte(next)) continue;
        m->keys_[key.substr(0, k)].prefix = true;
      }
      Entry& e = m->keys_[key];
      if (e.list < 0) e.list = static_cast<int>(li);
    }
  }
  return m;
}

int TermMatcher::Match(const Cursor& cur, size_t s, size_t* end) const {
  if (IsWordByte(cur.At(static_cast<ptrdiff_t>(s) - 1))) return -1;
  char key[kMaxTermBytes + 8];
  size_t len = 0;
  ptrdiff_t i = static_cast<ptrdiff_t>(s);
  int best = -1;
  while (len <= kMaxTermBytes) {
    int c = cur.At(i);
    if (c < 0) break;
    if (IsWordByte(c)) {
      while (IsWordByte(c) && len <= kMaxTermBytes) {
        key[len++] = static_cast<char>(ToLower(c));
        c = cur.At(++i);
      }
      if (len > kMaxTermBytes) break;
    } else if (IsSpace(c)) {
      // Only read on past the whitespace when some term continues after a space here.
      if (len == 0) break;
      key[len++] = ' ';
      auto it = keys_.find(absl::string_view(key, len));
      if (it == keys_.end() || !it->second.prefix) break;
      while (IsSpace(c)) c = cur.At(++i);
      continue;
    } else {
      key[len++] = static_cast<char>(c);
      ++i;
    }
    auto it = keys_.find(absl::string_view(key, len));
    if (it == keys_.end()) break;
    if (it->second.list >= 0 && key[len - 1] != ' ') {
      best = it->second.list;
      *end = static_cast<size_t>(i);
    }
    if (!it->second.prefix) break;
  }
  return best;
}

}  // namespace jitguard::mask
