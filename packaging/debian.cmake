# The Debian package: `scripts/package` runs `cpack -G DEB` in the build of scripts/setup, which
# is configured for the prefix /usr (so that the host configuration is /etc/trustnet/launch.yaml
# and the unit /lib/systemd/system/trustnet.service), and gets trustnet_VERSION-1_ARCH.deb.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME trustnet)
set(CPACK_PACKAGE_VENDOR TrustNet)
set(CPACK_PACKAGE_CONTACT "TrustNet maintainers <maintainers@trustnet.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "bake and run TrustNet's Alpine Linux appliances")
# One string (several arguments to set() would be a list, joined with ';' in the control file).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "bake turns a pinned Alpine Linux aarch64 image and a recipe into a golden"
  "image, offline, with libext2fs (or libguestfs). launch runs golden images"
  "with QEMU on an IPv6 ULA bridge: identities, seed disks, health probes. The"
  "trustnet service starts every instance of /etc/trustnet/launch.yaml at boot.")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# The shared libraries (libext2fs, libguestfs, OpenSSL, curl, libarchive, yaml-cpp, libnl …) by
# dpkg-shlibdeps; what the programs run: QEMU for aarch64, its UEFI firmware, qemu-img, and
# e2fsck and resize2fs for the direct engine.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, qemu-system-arm, qemu-efi-aarch64, qemu-utils, e2fsprogs")
# The completion files do nothing without bash-completion.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "openssh-client, bash-completion")
# Checks a release's signature without bake.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "minisign")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

# Debian's documentation files, the conffile and the maintainer scripts of the unit.
set(debian_dir ${CMAKE_BINARY_DIR}/debian)
configure_file(${CMAKE_CURRENT_LIST_DIR}/conffiles.in ${debian_dir}/conffiles @ONLY)
foreach(script postinst prerm postrm)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${script} ${debian_dir}/${script} COPYONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${debian_dir}/conffiles ${debian_dir}/postinst ${debian_dir}/prerm ${debian_dir}/postrm)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/trustnet)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
  RENAME trustnet)
find_program(GZIP_PROGRAM gzip REQUIRED)
add_custom_command(OUTPUT ${debian_dir}/changelog.Debian.gz
  COMMAND ${GZIP_PROGRAM} -9nc ${CMAKE_CURRENT_LIST_DIR}/changelog > ${debian_dir}/changelog.Debian.gz
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/changelog VERBATIM)
add_custom_target(debian_changelog ALL DEPENDS ${debian_dir}/changelog.Debian.gz)
install(FILES ${debian_dir}/changelog.Debian.gz DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/trustnet)
include(CPack)
