# Man pages and shell completions, generated at build time by the built programs from their
# own CLI11 definitions (cmddoc): `enclavectl man --out DIR` (hidden), `enclave-app --man-page
# DIR` (hidden), `enclavectl completion bash|zsh|fish`. The pages are installed gzip -9n
# compressed (Debian policy 12.1); the list of pages follows the commands, so whole
# directories are installed.
set(ENCLAVECTL_GENERATED_DIR "${CMAKE_BINARY_DIR}/generated")
set(gen "${ENCLAVECTL_GENERATED_DIR}")
add_custom_command(
  OUTPUT "${gen}/docs.stamp"
  COMMAND "${CMAKE_COMMAND}" -E rm -rf "${gen}/man" "${gen}/completions"
  COMMAND "${CMAKE_COMMAND}" -E make_directory "${gen}/man/man1" "${gen}/man/man8"
          "${gen}/completions"
  COMMAND enclavectl man --out "${gen}/man/man1"
  COMMAND enclave-app --man-page "${gen}/man/man8"
  COMMAND sh -c "gzip -9nf '${gen}'/man/man1/*.1 '${gen}'/man/man8/*.8"
  COMMAND sh -c "'$<TARGET_FILE:enclavectl>' completion bash > '${gen}/completions/enclavectl'"
  COMMAND sh -c "'$<TARGET_FILE:enclavectl>' completion zsh > '${gen}/completions/_enclavectl'"
  COMMAND sh -c
          "'$<TARGET_FILE:enclavectl>' completion fish > '${gen}/completions/enclavectl.fish'"
  COMMAND "${CMAKE_COMMAND}" -E touch "${gen}/docs.stamp"
  DEPENDS enclavectl enclave-app
  COMMENT "Man pages and shell completions from the CLI definitions"
  VERBATIM)
add_custom_target(enclavectl_docs ALL DEPENDS "${gen}/docs.stamp")

include(GNUInstallDirs)
install(DIRECTORY "${gen}/man/" DESTINATION "${CMAKE_INSTALL_MANDIR}")
install(FILES "${gen}/completions/enclavectl"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions")
install(FILES "${gen}/completions/_enclavectl"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
install(FILES "${gen}/completions/enclavectl.fish"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d")
