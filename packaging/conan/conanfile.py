# SPDX-License-Identifier: MIT
"""Conan 2 recipe for ipcshm, built from this checkout:
    conan create packaging/conan -o "ipcshm/*:shared=True" -o "ipcshm/*:tools=True"
"""
import os

from conan import ConanFile
from conan.tools.cmake import CMake, CMakeToolchain, cmake_layout
from conan.tools.files import copy, rmdir


class IpcshmConan(ConanFile):
    name = "ipcshm"
    version = "0.2.0"
    license = "MIT"
    url = "https://github.com/ipcshm/ipcshm"
    description = ("Portable shared memory between processes, on Windows and POSIX: "
                   "segments, hand-over, events, robust mutexes and channels")
    topics = ("shared-memory", "ipc", "interprocess")
    package_type = "library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"shared": [True, False], "fPIC": [True, False], "tools": [True, False]}
    default_options = {"shared": False, "fPIC": True, "tools": False}

    # The options every package of ipcshm passes (scripts/packages.sh checks
    # that packaging/vcpkg/portfile.cmake passes the same, and replays them).
    PACKAGE_OPTIONS = {
        "BUILD_TESTING": "OFF",
        "IPC_SHM_BUILD_BENCH": "OFF",
        "IPC_SHM_BUILD_EXAMPLES": "OFF",
        "IPC_SHM_INSTALL": "ON",
    }

    def export_sources(self):
        root = os.path.join(self.recipe_folder, "..", "..")
        for pattern in ("CMakeLists.txt", "LICENSE", "include/*", "src/*", "cmake/*",
                        "tools/*", "docs/ipc-shm.1"):
            copy(self, pattern, root, self.export_sources_folder)

    def config_options(self):
        if self.settings.os == "Windows":
            del self.options.fPIC

    def configure(self):
        if self.options.shared:
            self.options.rm_safe("fPIC")
        # C only.
        self.settings.rm_safe("compiler.libcxx")
        self.settings.rm_safe("compiler.cppstd")

    def layout(self):
        cmake_layout(self)

    def generate(self):
        toolchain = CMakeToolchain(self)  # BUILD_SHARED_LIBS from the shared option
        for variable, value in self.PACKAGE_OPTIONS.items():
            toolchain.cache_variables[variable] = value
        toolchain.cache_variables["IPC_SHM_BUILD_TOOLS"] = "ON" if self.options.tools else "OFF"
        toolchain.generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()
        # Conan writes its own package files for consumers.
        rmdir(self, os.path.join(self.package_folder, "lib", "cmake"))
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "share", "doc"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "ipcshm")
        self.cpp_info.set_property("cmake_target_name", "ipcshm::ipcshm")
        self.cpp_info.set_property("pkg_config_name", "ipcshm")
        self.cpp_info.libs = ["ipcshm"]
        if self.options.shared:
            self.cpp_info.defines = ["IPC_SHM_SHARED"]  # Windows: dllimport
        if self.settings.os == "Linux":
            self.cpp_info.system_libs = ["rt", "pthread"]
        elif self.settings.os == "Windows":
            self.cpp_info.system_libs = ["advapi32"]
        else:
            self.cpp_info.system_libs = ["pthread"]
