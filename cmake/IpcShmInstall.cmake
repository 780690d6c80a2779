# SPDX-License-Identifier: MIT
# Installing ipcshm: libraries, header, licence, and what other builds find
# it by: a CMake package (with its version) and pkg-config files.
include(CMakePackageConfigHelpers)

install(TARGETS ${IPC_SHM_INSTALL_TARGETS} EXPORT ipcshm-targets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES include/ipc_shm.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ipcshm)
install(EXPORT ipcshm-targets NAMESPACE ipcshm::
        FILE ipcshm-targets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ipcshm)
# The same package from the build tree: find_package(ipcshm) with
# ipcshm_DIR set to the build folder, without installing.
export(EXPORT ipcshm-targets NAMESPACE ipcshm::
       FILE ${PROJECT_BINARY_DIR}/ipcshm-targets.cmake)

# The static library needs the consumer's thread library (POSIX), and
# ipcshm::ipcshm names the static library when it is the only one.
set(_config ${PROJECT_BINARY_DIR}/ipcshm-config.cmake)
file(WRITE ${_config} "include(CMakeFindDependencyMacro)\n")
if(NOT WIN32)
  file(APPEND ${_config} "find_dependency(Threads)\n")
endif()
file(APPEND ${_config}
     "include(\"\${CMAKE_CURRENT_LIST_DIR}/ipcshm-targets.cmake\")\n"
     "if(NOT TARGET ipcshm::ipcshm)\n"
     "  add_library(ipcshm::ipcshm INTERFACE IMPORTED)\n"
     "  set_target_properties(ipcshm::ipcshm PROPERTIES INTERFACE_LINK_LIBRARIES ipcshm::ipcshm_static)\n"
     "endif()\n")
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ipcshm-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${_config} ${PROJECT_BINARY_DIR}/ipcshm-config-version.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ipcshm)

# pkg-config: ipcshm (the shared library where it is built) and
# ipcshm-static (which defines IPC_SHM_STATIC, as the static library needs).
set(_private_libs "")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(_private_libs "-lrt -lpthread")
elseif(WIN32)
  set(_private_libs "-ladvapi32")
elseif(NOT WIN32)
  set(_private_libs "-lpthread")
endif()
# Relocatable: the prefix is found from where the .pc file is, so that
# `cmake --install --prefix DIR` works too.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pc_up "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
  string(REGEX REPLACE "/$" "" _pc_up "${_pc_up}")
  set(_pc_prefix "\${pcfiledir}/${_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(_pc_libdir "${CMAKE_INSTALL_LIBDIR}")
else()
  set(_pc_libdir "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(_variant shared static)
  if(_variant STREQUAL "shared")
    if(NOT IPC_SHM_BUILD_SHARED)
      continue()
    endif()
    set(_pc_name ipcshm)
    set(_pc_lib ipcshm)
    set(_pc_cflags "")
  else()
    set(_pc_name ipcshm-static)
    set(_pc_lib ipcshm_static)
    set(_pc_cflags " -DIPC_SHM_STATIC")
  endif()
  file(WRITE ${PROJECT_BINARY_DIR}/${_pc_name}.pc
       "prefix=${_pc_prefix}\n"
       "libdir=${_pc_libdir}\n"
       "includedir=${_pc_includedir}\n\n"
       "Name: ${_pc_name}\n"
       "Description: ${PROJECT_DESCRIPTION}\n"
       "Version: ${PROJECT_VERSION}\n"
       "Cflags: -I\${includedir}${_pc_cflags}\n"
       "Libs: -L\${libdir} -l${_pc_lib}\n"
       "Libs.private: ${_private_libs}\n")
  install(FILES ${PROJECT_BINARY_DIR}/${_pc_name}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()
