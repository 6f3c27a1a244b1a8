// ByteSet, and the choice of the Implementation (the kernels are in lib/simd/<isa>.cc).
#include "lib/simd/simd.h"

#include <cstdlib>
#include <string>

#include "jitguard/status.h"

namespace jitguard::simd {

ByteSet::ByteSet() {
  for (int h = 0; h < 16; ++h) bit_of_hi[h] = static_cast<uint8_t>(1u << (h & 7));
}

void ByteSet::Add(uint8_t c) {
  contains[c] = true;
  const int h = c >> 4, l = c & 0xf;
  if (h < 8) {
    lo_low[l] |= static_cast<uint8_t>(1u << h);
  } else {
    lo_high[l] |= static_cast<uint8_t>(1u << (h - 8));
  }
}

void ByteSet::AddRange(uint8_t lo, uint8_t hi) {
  for (int c = lo; c <= hi; ++c) Add(static_cast<uint8_t>(c));
}

void ByteSet::AddAll(std::string_view bytes) {
  for (char c : bytes) Add(static_cast<uint8_t>(c));
}

namespace {

// Every name JITGUARD_SIMD accepts, whatever this build and CPU support.
constexpr std::string_view kAllNames[] = {"avx2", "sse42", "neon", "scalar"};

struct Registry {
  const Implementation* list[4] = {};
  size_t size = 0;
};

const Registry& GetRegistry() {
  static const Registry registry = [] {
    Registry r;
    // A factory's code is compiled for its instruction set: call it only once the CPU is known
    // to run it.
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) r.list[r.size++] = Avx2Implementation();
    if (__builtin_cpu_supports("sse4.2")) r.list[r.size++] = Sse42Implementation();
#elif defined(__aarch64__)
    r.list[r.size++] = NeonImplementation();  // NEON is part of the aarch64 baseline
#endif
    r.list[r.size++] = &ScalarImplementation();
    return r;
  }();
  return registry;
}

std::string SupportedNames() {
  std::string out;
  for (const Implementation* impl : SupportedImplementations()) {
    if (!out.empty()) out += ", ";
    out += impl->name();
  }
  return out;
}

}  // namespace

std::span<const Implementation* const> SupportedImplementations() {
  const Registry& r = GetRegistry();
  return {r.list, r.size};
}

const Implementation* FindImplementation(std::string_view name) {
  for (const Implementation* impl : SupportedImplementations()) {
    if (impl->name() == name) return impl;
  }
  return nullptr;
}

absl::StatusOr<const Implementation*> ChooseImplementation(const char* forced) {
  if (forced == nullptr) return SupportedImplementations().front();
  const std::string_view name(forced);
  if (const Implementation* impl = FindImplementation(name); impl != nullptr) return impl;
  bool known = false;
  for (std::string_view n : kAllNames) known |= n == name;
  // The value is configuration, not data: it is named (cut short) so the mistake is visible.
  std::string all;
  for (std::string_view n : kAllNames) all.append(all.empty() ? "" : ", ").append(n);
  std::string message = "JITGUARD_SIMD='";
  message.append(name.substr(0, 16))
      .append(known ? "' is not supported by this CPU or build" : "' is not an implementation")
      .append("; accepted: ")
      .append(all)
      .append(" (this CPU: ")
      .append(SupportedNames())
      .append("), or unset for the best");
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kMask, "bad_simd", message);
}

absl::StatusOr<const Implementation*> SelectedImplementation() {
  static const absl::StatusOr<const Implementation*>* selected =
      new absl::StatusOr<const Implementation*>(ChooseImplementation(std::getenv("JITGUARD_SIMD")));
  return *selected;
}

}  // namespace jitguard::simd
