#include "launcher/instance/golden_image.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/release/qemu_image_info.hpp"
#include "common/release/release_verification.hpp"
#include "common/util/atomic_file.hpp"
#include "common/util/error.hpp"
#include "common/util/private_folder.hpp"
#include "common/util/sha256.hpp"
#include "common/util/text_file.hpp"

namespace trustnet::launcher {
namespace fs = std::filesystem;
using nlohmann::json;

fs::path golden_record_file(const fs::path& state_dir, const std::string& name) {
  return state_dir / name / "golden.json";
}

namespace {

std::optional<GoldenRecord> read_record(const fs::path& file) {
  if (!fs::exists(file)) return std::nullopt;
  try {
    json j = json::parse(read_text_file(file));
    return GoldenRecord{j.at("image").get<std::string>(), j.at("sha256").get<std::string>(),
                        j.at("size").get<uint64_t>()};
  } catch (const json::exception& e) {
    throw Error(fmt::format("{} is damaged ({}); run `launch init` again", file.string(), e.what()));
  }
}

void require_image(const InstanceConfig& instance) {
  if (!fs::is_regular_file(instance.image))
    throw Error(instance.where, fmt::format("image {} of instance {} does not exist; bake it or fix instances.{}.image",
                                            instance.image.string(), instance.identity.name, instance.identity.name));
  // Its digest covers this file only: one that reads another file could change under it.
  require_self_contained(qemu_image_info(instance.image), instance.image, "golden image of " + instance.identity.name);
}

// The image's SHA-256: from release verification when a key is trusted (which hashes it), else hashed here.
std::string image_digest(const InstanceConfig& instance, const std::optional<fs::path>& trusted_key) {
  const fs::path image = fs::absolute(instance.image).lexically_normal();
  if (!trusted_key) return sha256_file(image);
  const fs::path manifest = image.parent_path() / (image.stem().string() + ".manifest.json");
  try {
    const VerifiedRelease release = verify_release(manifest, *trusted_key);
    if (fs::absolute(release.image).lexically_normal() != image)
      throw Error(fmt::format("the manifest names {}, not this image", release.image.filename().string()));
    return release.image_sha256;
  } catch (const Error& e) {
    throw Error(fmt::format("{}: image {} fails release verification with the trusted key {}: {}",
                            instance.identity.name, image.string(), trusted_key->string(), e.what()),
                ExitCode::bad_input);
  }
}

}  // namespace

GoldenRecord inspect_golden_image(const InstanceConfig& instance, const std::optional<fs::path>& trusted_key) {
  require_image(instance);
  return {fs::absolute(instance.image).lexically_normal(), image_digest(instance, trusted_key),
          fs::file_size(instance.image)};
}

std::optional<GoldenRecord> read_golden_record(const fs::path& state_dir, const std::string& name) {
  return read_record(golden_record_file(state_dir, name));
}

void write_golden_record(const fs::path& state_dir, const std::string& name, const GoldenRecord& record) {
  const fs::path file = golden_record_file(state_dir, name);
  make_private_folder(file.parent_path());
  json j = {{"image", record.image.string()}, {"sha256", record.sha256}, {"size", record.size}};
  write_file_atomically(file, j.dump(2) + "\n");
}

RecordOutcome record_golden_image(const fs::path& state_dir, const InstanceConfig& instance,
                                  const std::optional<fs::path>& trusted_key) {
  const auto before = read_golden_record(state_dir, instance.identity.name);
  const GoldenRecord record = inspect_golden_image(instance, trusted_key);
  write_golden_record(state_dir, instance.identity.name, record);
  return {record, before && (before->sha256 != record.sha256 || before->image != record.image)};
}

GoldenRecord verify_golden_image(const fs::path& state_dir, const InstanceConfig& instance,
                                 const std::optional<fs::path>& trusted_key) {
  const std::string& name = instance.identity.name;
  require_image(instance);
  const fs::path file = golden_record_file(state_dir, name);
  const auto record = read_record(file);
  if (!record)
    throw Error(fmt::format("{}: no golden image was recorded for it; run `launch init` first", name),
                ExitCode::bad_input);
  const fs::path image = fs::absolute(instance.image).lexically_normal();
  if (record->image != image)
    throw Error(
        fmt::format("{}: the configuration names image {}, but {} was recorded for it; `launch upgrade {}` moves it "
                    "onto the new image (its state disk stays)",
                    name, image.string(), record->image.string(), name),
        ExitCode::bad_input);
  const std::string actual = image_digest(instance, trusted_key);
  if (actual != record->sha256)
    throw Error(
        fmt::format("{}: golden image {} has sha256 {}, but {} was recorded for it; if the new image is the one "
                    "you meant, `launch upgrade {}` moves the instance onto it (its state disk stays)",
                    name, image.string(), actual, record->sha256, name),
        ExitCode::bad_input);
  return *record;
}

}  // namespace trustnet::launcher
