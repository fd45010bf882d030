#pragma once
// Runs one task per item side by side and waits for every one of them, also when some fail: no
// task outlives the call, and no failure goes unreported. Outcomes come back in the items' order.
// parallel_map throws what failed once: one failure as it was thrown; several as one Error that
// joins their lines ("a; b"), with the exit code of the first (interrupted when any was).
// parallel_outcomes hands back each result or failure, for callers that report the tasks that
// succeeded before they throw (throw_failures) for the others.
#include <exception>
#include <future>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

namespace trustnet {

template <typename Result>
struct TaskOutcome {
  std::optional<Result> result;  // set when the task returned
  std::exception_ptr failure;    // set when it threw
};

// Throws what parallel tasks left behind, as described above; returns when `failures` is empty.
void throw_failures(const std::vector<std::exception_ptr>& failures);

template <typename Result>
void throw_failures(const std::vector<TaskOutcome<Result>>& outcomes) {
  std::vector<std::exception_ptr> failures;
  for (const auto& outcome : outcomes)
    if (outcome.failure) failures.push_back(outcome.failure);
  throw_failures(failures);
}

template <typename Item, typename Task>
auto parallel_outcomes(const std::vector<Item>& items, Task task) {
  using Result = std::invoke_result_t<Task&, const Item&>;
  static_assert(!std::is_void_v<Result>, "parallel_outcomes needs tasks that return a value; see parallel_map");
  std::vector<std::future<Result>> running;
  running.reserve(items.size());
  for (const Item& item : items)
    running.push_back(std::async(std::launch::async, [&task, &item] { return task(item); }));
  std::vector<TaskOutcome<Result>> outcomes(running.size());
  for (size_t i = 0; i < running.size(); ++i) try {
      outcomes[i].result.emplace(running[i].get());
    } catch (...) {
      outcomes[i].failure = std::current_exception();
    }
  return outcomes;
}

template <typename Item, typename Task>
auto parallel_map(const std::vector<Item>& items, Task task) {
  using Result = std::invoke_result_t<Task&, const Item&>;
  if constexpr (std::is_void_v<Result>) {
    throw_failures(parallel_outcomes(items, [&task](const Item& item) {
      task(item);
      return true;
    }));
  } else {
    auto outcomes = parallel_outcomes(items, std::move(task));
    throw_failures(outcomes);
    std::vector<Result> results;
    results.reserve(outcomes.size());
    for (auto& outcome : outcomes) results.push_back(std::move(*outcome.result));
    return results;
  }
}

}  // namespace trustnet
