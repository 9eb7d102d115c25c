# Warning flags from ../shared/STYLE.md section 5, applied to every project target through
# the interface library enclavectl_warnings.
add_library(enclavectl_warnings INTERFACE)
target_compile_options(enclavectl_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wconversion -Wsign-conversion -Wshadow
  $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor -Wold-style-cast>)
if(ENCLAVECTL_WERROR)
  target_compile_options(enclavectl_warnings INTERFACE -Werror)
endif()
target_compile_definitions(enclavectl_warnings INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
