package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// volume is a pod volume made ready on the node.
type volume struct {
	dir      string
	readOnly bool // config maps and secrets are always mounted read-only
	tmpfs    bool // an emptyDir in memory
}

// prepareVolumes writes the pod's config map and secret volumes, makes its
// emptyDirs, and writes the pod's /etc/hosts and /etc/resolv.conf.
func (p *Pod) prepareVolumes(ctx context.Context) error {
	p.volumes = map[string]volume{}
	var fsGroup *int64
	if sc := p.Obj.Spec.SecurityContext; sc != nil {
		fsGroup = sc.FSGroup
	}
	client := p.node.Client
	ns := p.Obj.Namespace
	for _, v := range p.Obj.Spec.Volumes {
		dir := filepath.Join(p.dir, "volumes", v.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		switch {
		case v.ConfigMap != nil:
			src := v.ConfigMap
			cm, err := client.CoreV1().ConfigMaps(ns).Get(ctx, src.Name, metav1.GetOptions{})
			if err != nil {
				if src.Optional != nil && *src.Optional {
					p.volumes[v.Name] = volume{dir: dir, readOnly: true}
					continue
				}
				return fmt.Errorf("MountVolume.SetUp failed for volume %q: configmap %q: %w", v.Name, src.Name, err)
			}
			data := map[string][]byte{}
			for k, s := range cm.Data {
				data[k] = []byte(s)
			}
			for k, b := range cm.BinaryData {
				data[k] = b
			}
			if err := writeProjection(dir, data, src.Items, src.DefaultMode, fsGroup); err != nil {
				return fmt.Errorf("volume %q: %w", v.Name, err)
			}
			p.volumes[v.Name] = volume{dir: dir, readOnly: true}
		case v.Secret != nil:
			src := v.Secret
			s, err := client.CoreV1().Secrets(ns).Get(ctx, src.SecretName, metav1.GetOptions{})
			if err != nil {
				if src.Optional != nil && *src.Optional {
					p.volumes[v.Name] = volume{dir: dir, readOnly: true}
					continue
				}
				return fmt.Errorf("MountVolume.SetUp failed for volume %q: secret %q: %w", v.Name, src.SecretName, err)
			}
			if err := writeProjection(dir, s.Data, src.Items, src.DefaultMode, fsGroup); err != nil {
				return fmt.Errorf("volume %q: %w", v.Name, err)
			}
			p.volumes[v.Name] = volume{dir: dir, readOnly: true}
		case v.EmptyDir != nil:
			mode, gid := os.FileMode(0o777), -1
			if fsGroup != nil {
				mode, gid = 0o777|os.ModeSetgid, int(*fsGroup)
			}
			if err := os.Chown(dir, 0, gid); err != nil {
				return err
			}
			if err := os.Chmod(dir, mode); err != nil {
				return err
			}
			p.volumes[v.Name] = volume{dir: dir, tmpfs: v.EmptyDir.Medium == corev1.StorageMediumMemory}
		}
	}
	return p.writeNetworkFiles()
}

// writeProjection writes a config map's or secret's keys (or the items
// chosen) as files, as the kubelet's atomic writer does: owned by root,
// group fsGroup when the pod has one, with the items' or the default mode.
func writeProjection(dir string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32, fsGroup *int64) error {
	mode := int32(0o644)
	if defaultMode != nil {
		mode = *defaultMode
	}
	type file struct {
		path string
		data []byte
		mode int32
	}
	var files []file
	if len(items) == 0 {
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			files = append(files, file{k, data[k], mode})
		}
	} else {
		for _, it := range items {
			b, ok := data[it.Key]
			if !ok {
				return fmt.Errorf("key %q is not there", it.Key)
			}
			m := mode
			if it.Mode != nil {
				m = *it.Mode
			}
			files = append(files, file{it.Path, b, m})
		}
	}
	for _, f := range files {
		path := filepath.Join(dir, filepath.Clean("/"+f.path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.data, 0o600); err != nil {
			return err
		}
		gid := -1
		m := os.FileMode(f.mode).Perm()
		if fsGroup != nil {
			gid = int(*fsGroup)
			m |= 0o440 // the kubelet gives the fsGroup read access
		}
		if err := os.Chown(path, 0, gid); err != nil {
			return err
		}
		if err := os.Chmod(path, m); err != nil {
			return err
		}
	}
	return nil
}

// writeNetworkFiles writes the pod's /etc/hosts (localhost, the node's
// stand-in for cluster DNS, the pod's hostAliases) and /etc/resolv.conf.
func (p *Pod) writeNetworkFiles() error {
	lines := []string{"127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"}
	lines = append(lines, p.node.hostLines()...)
	for _, a := range p.Obj.Spec.HostAliases {
		lines = append(lines, a.IP+"\t"+strings.Join(a.Hostnames, " "))
	}
	if err := os.WriteFile(filepath.Join(p.dir, "hosts"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	// No DNS server: every name a pod may use is in its hosts file.
	return os.WriteFile(filepath.Join(p.dir, "resolv.conf"), []byte("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n"), 0o644)
}

// unsupported lists what the pod asks that this node does not do, so
// that nothing is silently dropped. Scheduling fields are the
// scheduler's, image pull secrets the registry's.
func unsupported(pod *corev1.Pod) []string {
	var out []string
	s := pod.Spec
	add := func(cond bool, what string) {
		if cond {
			out = append(out, what)
		}
	}
	add(len(s.InitContainers) > 0, "initContainers")
	add(len(s.EphemeralContainers) > 0, "ephemeralContainers")
	add(s.HostPID || s.HostIPC, "hostPID/hostIPC")
	add(s.ShareProcessNamespace != nil && *s.ShareProcessNamespace, "shareProcessNamespace")
	add(s.HostUsers != nil && !*s.HostUsers, "hostUsers: false (user namespaces)")
	add(s.RuntimeClassName != nil, "runtimeClassName")
	add(len(s.ReadinessGates) > 0, "readinessGates")
	add(len(s.ResourceClaims) > 0, "resourceClaims")
	add(s.DNSConfig != nil, "dnsConfig")
	add(s.OS != nil && s.OS.Name != corev1.Linux, "os other than linux")
	if sc := s.SecurityContext; sc != nil {
		add(sc.SELinuxOptions != nil, "securityContext.seLinuxOptions")
		add(sc.AppArmorProfile != nil, "securityContext.appArmorProfile (AppArmor is not on this machine)")
		add(len(sc.Sysctls) > 0, "securityContext.sysctls")
		add(sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeLocalhost, "a Localhost seccomp profile")
	}
	for _, v := range s.Volumes {
		add(v.ConfigMap == nil && v.Secret == nil && v.EmptyDir == nil, "volume "+v.Name+": only configMap, secret and emptyDir volumes")
	}
	for _, c := range s.Containers {
		where := "container " + c.Name + ": "
		add(c.ImagePullPolicy == corev1.PullAlways, where+"imagePullPolicy Always (no registry here)")
		add(c.Stdin || c.TTY, where+"stdin/tty")
		add(len(c.VolumeDevices) > 0, where+"volumeDevices")
		add(c.RestartPolicy != nil, where+"a container restartPolicy (sidecars)")
		for _, vm := range c.VolumeMounts {
			add(vm.MountPropagation != nil && *vm.MountPropagation != corev1.MountPropagationNone, where+"mount propagation")
			add(vm.SubPathExpr != "", where+"subPathExpr")
		}
		for _, p := range []*corev1.Probe{c.StartupProbe, c.ReadinessProbe, c.LivenessProbe} {
			add(p != nil && p.Exec != nil, where+"an exec probe (the images have no shell, and this node runs none)")
		}
		if l := c.Lifecycle; l != nil {
			add(l.PostStart != nil, where+"a postStart hook")
			add(l.PreStop != nil && (l.PreStop.Exec != nil || l.PreStop.TCPSocket != nil), where+"an exec or tcpSocket preStop hook")
			add(l.StopSignal != nil, where+"a stop signal")
		}
		if sc := c.SecurityContext; sc != nil {
			add(sc.Privileged != nil && *sc.Privileged, where+"privileged")
			add(sc.SELinuxOptions != nil, where+"seLinuxOptions")
			add(sc.AppArmorProfile != nil, where+"appArmorProfile (AppArmor is not on this machine)")
			add(sc.ProcMount != nil && *sc.ProcMount != corev1.DefaultProcMount, where+"procMount")
			add(sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeLocalhost, where+"a Localhost seccomp profile")
		}
	}
	return out
}
