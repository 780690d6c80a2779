# SPDX-License-Identifier: MIT
# An overlay port that builds ipcshm from this checkout:
#   vcpkg install ipcshm --overlay-ports=<checkout>/packaging/vcpkg
#   vcpkg install ipcshm[tools] ...   (with the ipc-shm tool)
# vcpkg passes BUILD_SHARED_LIBS from the triplet's library linkage; ipcshm
# builds exactly that one library.
set(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../..")

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
  FEATURES
    tools IPC_SHM_BUILD_TOOLS
)

# The options every package of ipcshm passes (scripts/packages.sh checks
# that packaging/conan/conanfile.py passes the same, and replays them).
set(IPCSHM_PACKAGE_OPTIONS -DBUILD_TESTING=OFF -DIPC_SHM_BUILD_BENCH=OFF -DIPC_SHM_BUILD_EXAMPLES=OFF -DIPC_SHM_INSTALL=ON)

vcpkg_cmake_configure(
  SOURCE_PATH "${SOURCE_PATH}"
  OPTIONS ${IPCSHM_PACKAGE_OPTIONS} ${FEATURE_OPTIONS}
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH lib/cmake/ipcshm)
vcpkg_fixup_pkgconfig()
if("tools" IN_LIST FEATURES)
  vcpkg_copy_tools(TOOL_NAMES ipc-shm AUTO_CLEAN)
endif()

# The man page and the licence copy go where vcpkg wants them, or nowhere.
file(REMOVE_RECURSE
  "${CURRENT_PACKAGES_DIR}/debug/include"
  "${CURRENT_PACKAGES_DIR}/debug/share"
  "${CURRENT_PACKAGES_DIR}/share/man"
  "${CURRENT_PACKAGES_DIR}/share/doc")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
