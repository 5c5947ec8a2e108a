package node

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/containerd/v2/contrib/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"
)

// defaultCapabilities are the capabilities containerd gives a container
// whose security context adds and drops none.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// maskedPaths and readonlyPaths are containerd's defaults.
var (
	maskedPaths = []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

// ociSpec is the runtime spec of one run of the container: what
// containerd's CRI plugin would hand runc for this pod spec on a node
// whose pods use the host's network.
func (c *Container) ociSpec(ctx context.Context, id, termLog string) (*specs.Spec, error) {
	pod := &c.pod.Obj.Spec
	user, err := c.user()
	if err != nil {
		return nil, err
	}
	env, kubeletEnv, err := c.environment(ctx, user)
	if err != nil {
		return nil, err
	}
	args, err := c.args(kubeletEnv)
	if err != nil {
		return nil, err
	}
	cwd := c.Spec.WorkingDir
	if cwd == "" {
		cwd = c.image.Config.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	sc := c.Spec.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	caps, err := capabilities(sc.Capabilities)
	if err != nil {
		return nil, err
	}
	mounts, err := c.mounts(termLog)
	if err != nil {
		return nil, err
	}
	spec := &specs.Spec{
		Version: "1.0.2",
		Root:    &specs.Root{Path: c.rootfs, Readonly: sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem},
		Process: &specs.Process{
			User: specs.User{UID: uint32(user.uid), GID: uint32(user.gid), AdditionalGids: user.groups},
			Args: args,
			Env:  env,
			Cwd:  cwd,
			// Kubernetes' default: escalation is allowed unless the
			// security context says otherwise.
			NoNewPrivileges: sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation,
			Capabilities:    &specs.LinuxCapabilities{Bounding: caps, Effective: caps, Permitted: caps},
		},
		Mounts: mounts,
		Linux: &specs.Linux{
			// No network namespace: the node's network (host networking).
			// No UTS namespace either, as for hostNetwork pods.
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.MountNamespace},
			},
			CgroupsPath:   filepath.Join(c.pod.node.cgroup, id),
			Resources:     c.resources(),
			MaskedPaths:   maskedPaths,
			ReadonlyPaths: readonlyPaths,
		},
	}
	profile := sc.SeccompProfile
	if profile == nil && pod.SecurityContext != nil {
		profile = pod.SecurityContext.SeccompProfile
	}
	if profile != nil && profile.Type == corev1.SeccompProfileTypeRuntimeDefault {
		spec.Linux.Seccomp = seccomp.DefaultProfile(spec)
	}
	return spec, nil
}

// resolvedUser is who the container's process runs as.
type resolvedUser struct {
	uid, gid int64
	name     string
	home     string
	groups   []uint32
}

// user resolves the container's user as the kubelet and containerd do:
// runAsUser and runAsGroup (the container's over the pod's) over the
// image's USER, the pod's fsGroup and supplementalGroups and the user's
// groups in the image as supplementary groups, and runAsNonRoot checked.
func (c *Container) user() (resolvedUser, error) {
	psc := c.pod.Obj.Spec.SecurityContext
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	sc := c.Spec.SecurityContext
	if sc == nil {
		sc = &corev1.SecurityContext{}
	}
	passwd := readColonFile(filepath.Join(c.rootfs, "etc", "passwd"))
	groups := readColonFile(filepath.Join(c.rootfs, "etc", "group"))

	u := resolvedUser{home: "/"}
	imageUser, imageGroup, _ := strings.Cut(c.image.Config.User, ":")
	numericImageUser := true
	switch {
	case imageUser == "":
	default:
		if n, err := strconv.ParseInt(imageUser, 10, 64); err == nil {
			u.uid = n
		} else {
			numericImageUser = false
			found := false
			for _, e := range passwd {
				if len(e) > 3 && e[0] == imageUser {
					u.uid, _ = strconv.ParseInt(e[2], 10, 64)
					found = true
				}
			}
			if !found {
				return u, fmt.Errorf("the image's user %q is not in its /etc/passwd", imageUser)
			}
		}
	}
	runAsUser := sc.RunAsUser
	if runAsUser == nil {
		runAsUser = psc.RunAsUser
	}
	if runAsUser != nil {
		u.uid = *runAsUser
	}
	gidSet := false
	for _, e := range passwd {
		if len(e) > 5 && e[2] == strconv.FormatInt(u.uid, 10) {
			u.name, u.home = e[0], e[5]
			u.gid, _ = strconv.ParseInt(e[3], 10, 64)
			gidSet = true
			break
		}
	}
	if imageGroup != "" && runAsUser == nil {
		if n, err := strconv.ParseInt(imageGroup, 10, 64); err == nil {
			u.gid, gidSet = n, true
		}
	}
	runAsGroup := sc.RunAsGroup
	if runAsGroup == nil {
		runAsGroup = psc.RunAsGroup
	}
	if runAsGroup != nil {
		u.gid, gidSet = *runAsGroup, true
	}
	if !gidSet {
		u.gid = 0
	}

	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot != nil && *nonRoot {
		if runAsUser == nil && !numericImageUser {
			return u, fmt.Errorf("CreateContainerConfigError: container has runAsNonRoot and image has non-numeric user (%s), cannot verify user is non-root", imageUser)
		}
		if u.uid == 0 {
			return u, fmt.Errorf("CreateContainerConfigError: container has runAsNonRoot and image will run as root")
		}
	}

	var extra []int64
	if psc.FSGroup != nil {
		extra = append(extra, *psc.FSGroup)
	}
	extra = append(extra, psc.SupplementalGroups...)
	if u.name != "" {
		for _, e := range groups {
			if len(e) > 3 && slices.Contains(strings.Split(e[3], ","), u.name) {
				if g, err := strconv.ParseInt(e[2], 10, 64); err == nil {
					extra = append(extra, g)
				}
			}
		}
	}
	for _, g := range extra {
		if g != u.gid && !slices.Contains(u.groups, uint32(g)) {
			u.groups = append(u.groups, uint32(g))
		}
	}
	return u, nil
}

// readColonFile reads /etc/passwd or /etc/group as fields.
func readColonFile(path string) [][]string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out [][]string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := strings.TrimSpace(s.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, strings.Split(line, ":"))
		}
	}
	return out
}

// args is the process's command line: the container's command over the
// image's entrypoint, its args over the image's cmd, with $(VAR)
// references expanded from the variables the kubelet sets.
func (c *Container) args(vars map[string]string) ([]string, error) {
	var argv []string
	if len(c.Spec.Command) > 0 {
		argv = append(argv, c.Spec.Command...)
		argv = append(argv, c.Spec.Args...)
	} else {
		argv = append(argv, c.image.Config.Entrypoint...)
		if len(c.Spec.Args) > 0 {
			argv = append(argv, c.Spec.Args...)
		} else {
			argv = append(argv, c.image.Config.Cmd...)
		}
	}
	if len(argv) == 0 {
		return nil, fmt.Errorf("no command: the container and its image name none")
	}
	for i, a := range argv {
		argv[i] = expand(a, vars)
	}
	return argv, nil
}

// capabilities applies a security context's drop and add to the default
// set.
func capabilities(caps *corev1.Capabilities) ([]string, error) {
	set := slices.Clone(defaultCapabilities)
	if caps == nil {
		return set, nil
	}
	name := func(c corev1.Capability) string {
		s := strings.ToUpper(string(c))
		if !strings.HasPrefix(s, "CAP_") {
			s = "CAP_" + s
		}
		return s
	}
	for _, d := range caps.Drop {
		if strings.EqualFold(string(d), "ALL") {
			set = nil
			continue
		}
		set = slices.DeleteFunc(set, func(s string) bool { return s == name(d) })
	}
	for _, a := range caps.Add {
		if strings.EqualFold(string(a), "ALL") {
			return nil, fmt.Errorf("capabilities.add ALL is not supported by this node")
		}
		if !slices.Contains(set, name(a)) {
			set = append(set, name(a))
		}
	}
	return set, nil
}

// resources turns the container's limits and requests into cgroup
// settings as the kubelet does: the memory limit, a CPU quota over a 100
// ms period for the CPU limit, and CPU shares for the request.
func (c *Container) resources() *specs.LinuxResources {
	r := &specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}
	limits, requests := c.Spec.Resources.Limits, c.Spec.Resources.Requests
	if q, ok := limits[corev1.ResourceMemory]; ok && !q.IsZero() {
		v := q.Value()
		r.Memory = &specs.LinuxMemory{Limit: &v}
	}
	cpu := &specs.LinuxCPU{}
	if q, ok := limits[corev1.ResourceCPU]; ok && !q.IsZero() {
		period := uint64(100000)
		quota := q.MilliValue() * int64(period) / 1000
		cpu.Period, cpu.Quota = &period, &quota
	}
	if q, ok := requests[corev1.ResourceCPU]; ok && !q.IsZero() {
		shares := uint64(max(2, q.MilliValue()*1024/1000))
		cpu.Shares = &shares
	}
	if cpu.Period != nil || cpu.Shares != nil {
		r.CPU = cpu
	}
	return r
}

// mounts are the runtime's usual mounts, the pod's /etc/hosts and
// /etc/resolv.conf, the termination-message file and the container's
// volume mounts.
func (c *Container) mounts(termLog string) ([]specs.Mount, error) {
	ms := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", "ro"}},
		{Destination: "/etc/hosts", Type: "bind", Source: filepath.Join(c.pod.dir, "hosts"), Options: []string{"rbind", "rprivate", "rw"}},
		{Destination: "/etc/resolv.conf", Type: "bind", Source: filepath.Join(c.pod.dir, "resolv.conf"), Options: []string{"rbind", "rprivate", "rw"}},
	}
	if path := c.Spec.TerminationMessagePath; path != "" {
		ms = append(ms, specs.Mount{Destination: path, Type: "bind", Source: termLog, Options: []string{"rbind", "rprivate", "rw"}})
	}
	for _, vm := range c.Spec.VolumeMounts {
		v, ok := c.pod.volumes[vm.Name]
		if !ok {
			return nil, fmt.Errorf("volume mount %s: no volume %q", vm.MountPath, vm.Name)
		}
		readOnly := vm.ReadOnly || v.readOnly
		if v.tmpfs {
			opts := []string{"nosuid", "nodev", "mode=1777"}
			if readOnly {
				opts = append(opts, "ro")
			}
			ms = append(ms, specs.Mount{Destination: vm.MountPath, Type: "tmpfs", Source: "tmpfs", Options: opts})
			continue
		}
		src := v.dir
		if vm.SubPath != "" {
			src = filepath.Join(v.dir, filepath.Clean("/"+vm.SubPath))
		}
		opts := []string{"rbind", "rprivate"}
		if readOnly {
			opts = append(opts, "ro")
		} else {
			opts = append(opts, "rw")
		}
		ms = append(ms, specs.Mount{Destination: vm.MountPath, Type: "bind", Source: src, Options: opts})
	}
	return ms, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
