# SPDX-License-Identifier: MIT
# Installing ipcshm: libraries, header, licence, and what other builds find
# it by: a CMake package (with its version) and pkg-config files.
include(CMakePackageConfigHelpers)

# Components: Runtime (the shared library and the licence), Tools (the
# ipc-shm tool and its man page, tools/CMakeLists.txt) and Development (the header, the static or import library, the
# namelink, the CMake package and the pkg-config file).
install(TARGETS ipcshm EXPORT ipcshm-targets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT Runtime
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Runtime
                NAMELINK_COMPONENT Development
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT Development)
install(FILES include/ipc_shm.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT Development)
install(FILES LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/ipcshm COMPONENT Runtime)
install(EXPORT ipcshm-targets NAMESPACE ipcshm::
        FILE ipcshm-targets.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ipcshm COMPONENT Development)
# The same package from the build tree: find_package(ipcshm) with
# ipcshm_DIR set to the build folder, without installing.
export(EXPORT ipcshm-targets NAMESPACE ipcshm::
       FILE ${PROJECT_BINARY_DIR}/ipcshm-targets.cmake)

# A static library needs the consumer's thread library too (POSIX): the
# exported target names it, and the package finds it.
set(_config ${PROJECT_BINARY_DIR}/ipcshm-config.cmake)
file(WRITE ${_config} "include(CMakeFindDependencyMacro)\n")
if(NOT WIN32 AND NOT IPC_SHM_LIBRARY_TYPE STREQUAL "SHARED_LIBRARY")
  file(APPEND ${_config} "find_dependency(Threads)\n")
endif()
file(APPEND ${_config}
     "include(\"\${CMAKE_CURRENT_LIST_DIR}/ipcshm-targets.cmake\")\n")
write_basic_package_version_file(${PROJECT_BINARY_DIR}/ipcshm-config-version.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${_config} ${PROJECT_BINARY_DIR}/ipcshm-config-version.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/ipcshm COMPONENT Development)

# pkg-config: ipcshm, the library this build made. A shared one carries
# IPC_SHM_SHARED (Windows: dllimport); a static one needs Libs.private
# (pkg-config --static).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(_private_libs "-lrt -lpthread")
elseif(WIN32)
  set(_private_libs "-ladvapi32")
else()
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
set(_pc_cflags "")
if(IPC_SHM_LIBRARY_TYPE STREQUAL "SHARED_LIBRARY")
  set(_pc_cflags " -DIPC_SHM_SHARED")
endif()
file(WRITE ${PROJECT_BINARY_DIR}/ipcshm.pc
     "prefix=${_pc_prefix}\n"
     "libdir=${_pc_libdir}\n"
     "includedir=${_pc_includedir}\n\n"
     "Name: ipcshm\n"
     "Description: ${PROJECT_DESCRIPTION}\n"
     "Version: ${PROJECT_VERSION}\n"
     "Cflags: -I\${includedir}${_pc_cflags}\n"
     "Libs: -L\${libdir} -lipcshm\n"
     "Libs.private: ${_private_libs}\n")
install(FILES ${PROJECT_BINARY_DIR}/ipcshm.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT Development)
