# The Debian package (CPack DEB): scripts/package.sh builds it from the release preset,
# tests/scripts/package_install_test.sh from any build. Contents:
#   /usr/bin/enclavectl, /usr/bin/enclave-app
#   /usr/share/enclavectl/aws_nitro_root_g1.pem and examples/ (unit environment files)
#   /usr/share/man/man1/enclavectl*.1.gz, man8/enclave-app.8.gz       (EnclavectlDocs.cmake)
#   bash, zsh and fish completions                                     (EnclavectlDocs.cmake)
#   /lib/systemd/system/enclavectl-*.service, /usr/libexec/enclavectl/enclavectl-enclave-watchdog
#   /usr/share/doc/enclavectl/{copyright,changelog.Debian.gz,README.md}
# Version: project(); dependencies: dpkg-shlibdeps, plus python3 for the watchdog.
include(GNUInstallDirs)

install(DIRECTORY share/examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/enclavectl/examples)
install(FILES share/systemd/enclavectl-enclave@.service share/systemd/enclavectl-vsock-proxy.service
              share/systemd/enclavectl-monitor.service
        DESTINATION /lib/systemd/system)
install(PROGRAMS share/systemd/enclavectl-enclave-watchdog
        DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/enclavectl)

# changelog.Debian.gz: dated by SOURCE_DATE_EPOCH when set (reproducible), else now.
string(TIMESTAMP ENCLAVECTL_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(READ share/debian/changelog.in changelog)
string(REPLACE "@VERSION@" "${PROJECT_VERSION}" changelog "${changelog}")
string(REPLACE "@DATE@" "${ENCLAVECTL_CHANGELOG_DATE}" changelog "${changelog}")
file(WRITE "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian" "${changelog}")
add_custom_command(
  OUTPUT "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian.gz"
  COMMAND gzip -9nkf "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian"
  DEPENDS "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian"
  VERBATIM)
add_custom_target(enclavectl_changelog ALL
  DEPENDS "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian.gz")
install(FILES share/debian/copyright README.md
              "${CMAKE_BINARY_DIR}/generated/debian/changelog.Debian.gz"
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "enclavectl")
set(CPACK_PACKAGE_VENDOR "the enclavectl authors")
set(CPACK_PACKAGE_CONTACT "enclavectl maintainers <enclavectl@users.noreply.github.com>")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_DEBIAN_PACKAGE_RELEASE "1")
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # enclavectl_<version>-1_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "admin")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "aws-nitro-enclaves-cli")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/enclavectl/enclavectl")
# The synopsis is project()'s DESCRIPTION; this is the extended description under it.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "enclavectl verifies Nitro Enclaves attestation documents down to the pinned AWS
root, recomputes enclave image (EIF) measurements and builds images
reproducibly, writes, lints and locks KMS key policies that only an attested
image can use, and runs a local KMS and NSM simulator for development.
.
enclave-app is the key service that runs inside the enclave. The package also
ships man pages, bash/zsh/fish completions and systemd units for the parent
instance: an enclave watchdog, the vsock proxy to KMS and the monitor.")
# Ownership root:root and modes 0644/0755 (lintian wrong-file-owner-uid-or-gid).
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
