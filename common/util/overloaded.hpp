#pragma once
// A visitor from one lambda per alternative of a std::variant: std::visit(overloaded{...}, value).
// An alternative without its lambda is a compile error, so a new kind of step or target is
// handled everywhere before it builds.
namespace trustnet {

template <class... Ts>
struct overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
overloaded(Ts...) -> overloaded<Ts...>;

}  // namespace trustnet
