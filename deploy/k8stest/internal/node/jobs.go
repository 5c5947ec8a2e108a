package node

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/util/retry"
)

// Admit asks the API server to admit the pod a controller would make
// from tmpl — with its labels and annotations, owned by owner, bound to
// this node — and returns it as admitted, with the server's defaults.
// It is a dry run: nothing is stored, so the pod is the node's alone. The
// namespace's Pod Security admission, the ServiceAccount admission and
// the Pod validation (stricter than a template's) all see it.
func (n *Node) Admit(ctx context.Context, namespace, name string, tmpl corev1.PodTemplateSpec, owner metav1.OwnerReference, labels map[string]string) (*corev1.Pod, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: namespace,
			Labels: map[string]string{}, Annotations: tmpl.Annotations,
			OwnerReferences: []metav1.OwnerReference{owner},
		},
		Spec: *tmpl.Spec.DeepCopy(),
	}
	for k, v := range tmpl.Labels {
		pod.Labels[k] = v
	}
	for k, v := range labels {
		pod.Labels[k] = v
	}
	pod.Spec.NodeName = n.Name
	admitted, err := n.Client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{
		DryRun: []string{metav1.DryRunAll}, FieldValidation: metav1.FieldValidationStrict,
	})
	if err != nil {
		return nil, fmt.Errorf("the API server refused pod %s: %w", name, err)
	}
	return admitted, nil
}

// RandomSuffix is five characters as the controllers name their pods.
func RandomSuffix() string {
	return strings.ToLower(rand.Text()[:5])
}

// JobRun is a Job the node ran.
type JobRun struct {
	Job       string
	UID       types.UID
	Pods      []*Pod // one per attempt
	Succeeded bool
	Reason    string // why it failed
	Took      time.Duration
}

// Jobs stands in for the job controller of one namespace: every Job that
// appears (not suspended, not finished) gets a pod, admitted by the API
// server and run on this node; its status is written as the job
// controller writes it (start time and active pod, then succeeded or
// failed, completion time, and the SuccessCriteriaMet and Complete, or
// FailureTarget and Failed, conditions), honouring backoffLimit and
// activeDeadlineSeconds. Helm waits on those conditions for its hooks.
type Jobs struct {
	node      *Node
	namespace string
	cancel    context.CancelFunc
	done      chan struct{}

	mu   sync.Mutex
	runs []*JobRun
	seen map[types.UID]bool
	err  error
	wg   sync.WaitGroup
}

// ServeJobs starts the job controller's stand-in for namespace.
func (n *Node) ServeJobs(namespace string) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	j := &Jobs{node: n, namespace: namespace, cancel: cancel, done: make(chan struct{}), seen: map[types.UID]bool{}}
	go func() {
		defer close(j.done)
		j.watch(ctx)
	}()
	return j
}

// Stop stops watching and waits for the Jobs being run.
func (j *Jobs) Stop() {
	j.cancel()
	<-j.done
	j.wg.Wait()
}

// Runs are the Jobs run so far.
func (j *Jobs) Runs() []*JobRun {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]*JobRun(nil), j.runs...)
}

// Err is the first error of the watch or of a status update.
func (j *Jobs) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

func (j *Jobs) fail(err error) {
	j.mu.Lock()
	if j.err == nil {
		j.err = err
	}
	j.mu.Unlock()
	j.node.Logf("node: jobs: %v", err)
}

func (j *Jobs) watch(ctx context.Context) {
	api := j.node.Client.BatchV1().Jobs(j.namespace)
	for ctx.Err() == nil {
		list, err := api.List(ctx, metav1.ListOptions{})
		if err != nil {
			if ctx.Err() == nil {
				j.fail(fmt.Errorf("listing Jobs: %w", err))
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		for i := range list.Items {
			j.consider(ctx, &list.Items[i])
		}
		w, err := api.Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			continue
		}
		for ev := range w.ResultChan() {
			if job, ok := ev.Object.(*batchv1.Job); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
				j.consider(ctx, job)
			}
		}
		w.Stop()
	}
}

// consider starts a Job the node has not seen, unless it is suspended or
// already finished.
func (j *Jobs) consider(ctx context.Context, job *batchv1.Job) {
	if finished(job) || (job.Spec.Suspend != nil && *job.Spec.Suspend) {
		return
	}
	j.mu.Lock()
	if j.seen[job.UID] {
		j.mu.Unlock()
		return
	}
	j.seen[job.UID] = true
	run := &JobRun{Job: job.Name, UID: job.UID}
	j.runs = append(j.runs, run)
	j.mu.Unlock()
	j.wg.Go(func() { j.run(ctx, job.DeepCopy(), run) })
}

func finished(job *batchv1.Job) bool {
	for _, c := range job.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// run runs one Job's pods until one succeeds, backoffLimit is passed or
// activeDeadlineSeconds ends it.
func (j *Jobs) run(ctx context.Context, job *batchv1.Job, run *JobRun) {
	begun := time.Now()
	defer func() { run.Took = time.Since(begun) }()
	start := metav1.NewTime(begun)
	one := int32(1)
	j.updateStatus(ctx, job, func(s *batchv1.JobStatus) {
		s.StartTime, s.Active = &start, one
	})
	if job.Spec.ActiveDeadlineSeconds != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, begun.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds)*time.Second))
		defer cancel()
	}
	backoffLimit := int32(6)
	if job.Spec.BackoffLimit != nil {
		backoffLimit = *job.Spec.BackoffLimit
	}
	owner := metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
		Controller: ptr(true), BlockOwnerDeletion: ptr(true)}
	labels := map[string]string{"batch.kubernetes.io/controller-uid": string(job.UID), "batch.kubernetes.io/job-name": job.Name,
		"controller-uid": string(job.UID), "job-name": job.Name}
	failed := int32(0)
	backoff := 10 * time.Second
	for {
		name := job.Name + "-" + RandomSuffix()
		pod, err := j.node.Admit(ctx, job.Namespace, name, job.Spec.Template, owner, labels)
		var p *Pod
		if err == nil {
			p, err = j.node.Run(pod)
		}
		if err != nil {
			j.finish(ctx, job, run, false, "PodFailed: "+err.Error(), failed+1)
			return
		}
		run.Pods = append(run.Pods, p)
		ok, werr := p.Wait(ctx)
		if werr != nil { // the deadline passed
			p.Delete(nil)
			j.finish(ctx, job, run, false, "DeadlineExceeded: Job was active longer than specified deadline", failed+1)
			return
		}
		p.Delete(nil)
		if ok {
			j.finish(ctx, job, run, true, "", failed)
			return
		}
		failed++
		if failed > backoffLimit {
			j.finish(ctx, job, run, false, "BackoffLimitExceeded: Job has reached the specified backoff limit", failed)
			return
		}
		j.updateStatus(ctx, job, func(s *batchv1.JobStatus) { s.Failed = failed })
		j.node.Logf("node: job %s: pod %s failed (%d of %d allowed); next try in %s", job.Name, name, failed, backoffLimit, backoff)
		if !sleepCtx(ctx, backoff) {
			j.finish(ctx, job, run, false, "DeadlineExceeded: Job was active longer than specified deadline", failed)
			return
		}
		backoff = min(2*backoff, 6*time.Minute)
	}
}

// finish writes the Job's final status.
func (j *Jobs) finish(ctx context.Context, job *batchv1.Job, run *JobRun, ok bool, reason string, failed int32) {
	run.Succeeded, run.Reason = ok, reason
	now := metav1.Now()
	cond := func(t batchv1.JobConditionType, why string) batchv1.JobCondition {
		r, msg, _ := strings.Cut(why, ": ")
		return batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastProbeTime: now, LastTransitionTime: now, Reason: r, Message: msg}
	}
	// The status is written even when ctx ended (a deadline): Helm waits
	// for it.
	ctx = context.WithoutCancel(ctx)
	j.updateStatus(ctx, job, func(s *batchv1.JobStatus) {
		s.Active, s.Ready, s.Terminating = 0, ptr(int32(0)), ptr(int32(0))
		s.Failed = failed
		if ok {
			s.Succeeded = 1
			s.CompletionTime = &now
			s.Conditions = append(s.Conditions, cond(batchv1.JobSuccessCriteriaMet, "CompletionsReached: Reached expected number of succeeded pods"),
				cond(batchv1.JobComplete, "CompletionsReached: Reached expected number of succeeded pods"))
		} else {
			s.Conditions = append(s.Conditions, cond(batchv1.JobFailureTarget, reason), cond(batchv1.JobFailed, reason))
		}
	})
	if ok {
		j.node.Logf("node: job %s succeeded", job.Name)
	} else {
		j.node.Logf("node: job %s failed: %s", job.Name, reason)
	}
}

// updateStatus changes the Job's status through the status subresource,
// again on a conflict.
func (j *Jobs) updateStatus(ctx context.Context, job *batchv1.Job, change func(*batchv1.JobStatus)) {
	api := j.node.Client.BatchV1().Jobs(job.Namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := api.Get(ctx, job.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if cur.UID != job.UID {
			return apierrors.NewNotFound(batchv1.Resource("jobs"), job.Name)
		}
		change(&cur.Status)
		_, err = api.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil && !apierrors.IsNotFound(err) {
		j.fail(fmt.Errorf("job %s: writing its status: %w", job.Name, err))
	}
}

func ptr[T any](v T) *T { return &v }
