#include "baker/execute/executor.hpp"

#include <fmt/format.h>

#include <memory>

#include "baker/execute/engine_choice.hpp"
#include "baker/execute/ext4/ext4_image.hpp"
#include "baker/execute/guestfs/guest_image.hpp"
#include "common/release/qemu_image_info.hpp"
#include "common/util/error.hpp"

namespace trustnet::baker {
std::optional<std::string> pack_image_root(const std::filesystem::path& image, ApplianceAccel accel,
                                           const std::filesystem::path& tar, const std::filesystem::path& scratch,
                                           BakeEngine engine) {
  if (!std::filesystem::is_regular_file(image))
    throw Error(fmt::format("image {} does not exist", image.string()), ExitCode::bad_input);
  const std::string format = GuestSession::detect_format(image);
  // What the image reads from elsewhere (an overlay's backing file) is not its content: refused,
  // as bake refuses such a base.
  const QemuImageInfo info = qemu_image_info(image, format);
  require_self_contained(info, image, "image");
  // The same choice of engine as a bake's; read-only either way, nothing grown.
  EngineChoice choice = choose_engine(engine, image, format, info.virtual_size, scratch, info.virtual_size);
  std::optional<GuestSession> guest;
  std::unique_ptr<OpenImage> opened;
  if (choice.direct) {
    opened = std::make_unique<Ext4Image>(*choice.direct, std::filesystem::path(), 0);
  } else {
    guest.emplace(accel);
    guest->add_drive(image, format, true);
    guest->launch();
    opened = std::make_unique<GuestImage>(*guest, guest->disks().front());
  }
  const Inspection found = opened->inspect();
  check_alpine_aarch64(found);
  opened->pack(found, tar);
  opened.reset();
  if (guest) guest->shutdown();
  return choice.fallback;
}

}  // namespace trustnet::baker
