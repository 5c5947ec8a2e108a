package node

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Images are the images the node has, loaded from docker-archive tarballs
// as `docker load` or `podman load` would: no registry is ever asked, so a
// pod naming an image that is not here fails as ErrImageNeverPull would.
type Images struct {
	byRef map[string]v1.Image // "gongjian/member:0.1.0"
}

// LoadImages loads every *.tar in dir under each of its tags.
func LoadImages(dir string) (*Images, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tar"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("node: no image tarballs in %s (make images writes them)", dir)
	}
	im := &Images{byRef: map[string]v1.Image{}}
	for _, p := range paths {
		m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(p) })
		if err != nil {
			return nil, fmt.Errorf("node: %s: %w", p, err)
		}
		for _, desc := range m {
			for _, ref := range desc.RepoTags {
				tag, err := name.NewTag(ref)
				if err != nil {
					return nil, fmt.Errorf("node: %s: tag %q: %w", p, ref, err)
				}
				img, err := tarball.ImageFromPath(p, &tag)
				if err != nil {
					return nil, fmt.Errorf("node: %s: %w", p, err)
				}
				im.byRef[ref] = img
			}
		}
	}
	return im, nil
}

// Refs lists the loaded images' references.
func (im *Images) Refs() []string {
	var refs []string
	for r := range im.byRef {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	return refs
}

// lookup finds an image by the reference a pod gives. Short names are
// read as Docker's (docker.io/library/ is implied), as the images are
// named gongjian/<service>:<tag> by the chart.
func (im *Images) lookup(ref string) (v1.Image, error) {
	if img, ok := im.byRef[ref]; ok {
		return img, nil
	}
	want, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("image %q: %w", ref, err)
	}
	for r, img := range im.byRef {
		if have, err := name.ParseReference(r); err == nil && have.Name() == want.Name() {
			return img, nil
		}
	}
	return nil, fmt.Errorf("ErrImageNeverPull: image %q is not on the node (loaded: %s)", ref, strings.Join(im.Refs(), ", "))
}

// unpack writes the image's file system, its layers applied in order, to
// dst, and returns its config.
func (im *Images) unpack(ref, dst string) (*v1.ConfigFile, error) {
	img, err := im.lookup(ref)
	if err != nil {
		return nil, err
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	if err := untar(rc, dst); err != nil {
		return nil, fmt.Errorf("unpacking %s: %w", ref, err)
	}
	return cfg, nil
}

// untar writes a flattened image file system under dst, refusing any entry
// that would land outside it.
func untar(r io.Reader, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		rel := filepath.Clean("/" + h.Name)
		if rel == "/" {
			continue
		}
		path := filepath.Join(dst, rel)
		mode := os.FileMode(h.Mode).Perm()
		if h.Mode&0o4000 != 0 {
			mode |= os.ModeSetuid
		}
		if h.Mode&0o2000 != 0 {
			mode |= os.ModeSetgid
		}
		if h.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.Symlink(h.Linkname, path); err != nil {
				return err
			}
			continue // a symlink's owner and mode are not its target's
		case tar.TypeLink:
			target := filepath.Join(dst, filepath.Clean("/"+h.Linkname))
			if err := os.Link(target, path); err != nil {
				return err
			}
			continue
		default:
			return fmt.Errorf("%s: entry type %q is not supported", h.Name, h.Typeflag)
		}
		if err := os.Lchown(path, h.Uid, h.Gid); err != nil {
			return err
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
	}
}
