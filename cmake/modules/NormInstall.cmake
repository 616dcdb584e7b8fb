# How norm installs itself as a CMake package (the model: CIRCT's
# add_circt_library_install and CIRCTConfig.cmake.in). Every norm library is
# built with `add_mlir_*_library(... DISABLE_INSTALL)` and then handed to
# `norm_install_library`, which puts it in the `NormTargets` export set
# instead of MLIR's own (`MLIRTargets`, which an out-of-tree project never
# installs). cmake/modules/CMakeLists.txt writes NormConfig.cmake from it.

set(NORM_INSTALL_PACKAGE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/norm")

# Installs library `name` into the NormTargets export set; consumers of the
# imported target get norm's headers (build tree here, <prefix>/include once
# installed).
function(norm_install_library name)
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  install(TARGETS ${name}
    EXPORT NormTargets
    COMPONENT norm
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  set_property(GLOBAL APPEND PROPERTY NORM_EXPORTS ${name})
endfunction()

# Installs tool `name` (an executable) into <prefix>/bin.
function(norm_install_tool name)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT norm)
endfunction()
